using System.Globalization;
using System.Text;
using System.Text.Json;
using Helpdesk.Api.Common;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace Helpdesk.Api.CustomerContext;

/// <summary>
/// Asks the admin's endpoint (<c>CustomerContext:Url</c>) about a customer: a signed POST of
/// <c>{ accountId, accountName, contactId, email, name }</c>, answered by a JSON object whose
/// fields become the context's <c>extensions</c>. The HTTP client's resilience handler
/// (Microsoft.Extensions.Http.Resilience) gives the look-up a total time limit with one immediate
/// retry of a transient failure; any failure (timeout, refused connection, error status, an answer
/// that is not a JSON object or is too large) is <c>unavailable</c>, never an error of the page.
/// Answers are kept per customer for <c>CacheSeconds</c>, failures for <c>UnavailableSeconds</c>,
/// by the app's clock.
/// </summary>
internal sealed partial class HttpCustomerContext(IHttpClientFactory http, IOptions<CustomerContextOptions> options, TimeProvider clock, ILogger<HttpCustomerContext> logger)
    : ICustomerContextProvider, IDisposable
{
    public const string HttpClientName = "customer-context";
    public const int MaxAnswerBytes = 256 * 1024;
    private const int MaxCustomersCached = 10_000;

    private readonly MemoryCache _answers = new(new MemoryCacheOptions { SizeLimit = MaxCustomersCached });

    public async Task<ProviderAnswer> GetAsync(CustomerContextQuery query, CancellationToken cancellationToken)
    {
        var key = $"{query.AccountId}|{query.ContactId}";
        var now = clock.GetUtcNow();
        if (_answers.TryGetValue(key, out Kept? kept) && kept!.Until > now)
        {
            return kept.Answer;
        }

        var answer = await AskAsync(query, cancellationToken);
        var keep = TimeSpan.FromSeconds(answer.Status == ExtensionsStatus.Available ? options.Value.CacheSeconds : options.Value.UnavailableSeconds);
        if (keep > TimeSpan.Zero)
        {
            _answers.Set(key, new Kept(answer, now + keep), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = keep });
        }

        return answer;
    }

    public void Dispose() => _answers.Dispose();

    private async Task<ProviderAnswer> AskAsync(CustomerContextQuery query, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var body = JsonSerializer.Serialize(query, JsonSerializerOptions.Web);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(HmacSignature.Header, HmacSignature.Sign(settings.Secret, timestamp, body));
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                LogUnavailable(logger, null, (int)response.StatusCode);
                return ProviderAnswer.Unavailable;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                LogUnavailable(logger, null, (int)response.StatusCode);
                return ProviderAnswer.Unavailable;
            }

            return new ProviderAnswer(
                ExtensionsStatus.Available,
                document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal));
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or JsonException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnavailable(logger, e, 0);
            return ProviderAnswer.Unavailable;
        }
    }

    private sealed record Kept(ProviderAnswer Answer, DateTimeOffset Until);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The customer context provider did not answer (status {Status}); the context is shown without it")]
    private static partial void LogUnavailable(ILogger logger, Exception? exception, int status);
}
