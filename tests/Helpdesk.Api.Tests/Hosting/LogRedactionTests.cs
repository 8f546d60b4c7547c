using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>
/// The logs the app exports (to Azure Monitor or OTLP) carry no customer's address, whoever wrote
/// the text: the app's own message, an attribute, or an exception quoting a remote's refusal.
/// </summary>
public sealed class LogRedactionTests
{
    [Fact]
    public async Task Exported_logs_mask_addresses_and_query_strings_and_keep_the_exception_type_and_stack()
    {
        var exported = new List<(string? Message, IReadOnlyList<KeyValuePair<string, object?>> Attributes, Exception? Exception)>();
        using var app = new HelpdeskApp()
            .With("Telemetry:Enabled", "true")
            .WithServices(services => services
                .Configure<OpenTelemetryLoggerOptions>(o => o.IncludeFormattedMessage = true)
                .ConfigureOpenTelemetryLoggerProvider(logs => logs.AddProcessor(new Capture(exported))));
        (await app.CreateClient().GetAsync("/api/health/live")).EnsureSuccessStatusCode();
        Exception refusal;
        try
        {
            throw new InvalidOperationException("550 5.1.1 <alice@contoso.com>: mailbox unavailable (https://crm.contoso.test/contacts?email=alice@contoso.com&key=s3cret)");
        }
        catch (InvalidOperationException e)
        {
            refusal = e;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Helpdesk.Api.Tests.LogRedaction");
        logger.LogWarning(refusal, "Delivery to {Recipient} through {Endpoint} failed", "Bob.Smith+vip@mail.contoso.co.uk", "https://api.contoso.test/sms?to=bob@contoso.com");

        var (message, attributes, exception) = exported.ShouldHaveSingleItem();
        message.ShouldBe("Delivery to [email] through https://api.contoso.test/sms failed");
        attributes.Single(a => a.Key == "Recipient").Value.ShouldBe("[email]");
        attributes.Single(a => a.Key == "Endpoint").Value.ShouldBe("https://api.contoso.test/sms");
        attributes.Single(a => a.Key == "{OriginalFormat}").Value.ShouldBe("Delivery to {Recipient} through {Endpoint} failed");
        exception.ShouldNotBeNull();
        exception.Message.ShouldBe("System.InvalidOperationException: 550 5.1.1 <[email]>: mailbox unavailable (https://crm.contoso.test/contacts)");
        exception.StackTrace.ShouldBe(refusal.StackTrace);
        exception.ToString().ShouldStartWith("System.InvalidOperationException: 550 5.1.1 <[email]>");
        exception.ToString().ShouldNotContain("@contoso");
        exception.ToString().ShouldNotContain("s3cret");
    }

    /// <summary>Stands where an exporter would (with the formatted message on, as Azure Monitor's asks), after the app's processors; copies what it sees (records are pooled).</summary>
    private sealed class Capture(List<(string?, IReadOnlyList<KeyValuePair<string, object?>>, Exception?)> exported) : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data)
        {
            if (data.CategoryName == "Helpdesk.Api.Tests.LogRedaction")
            {
                exported.Add((data.FormattedMessage ?? data.Body, [.. data.Attributes ?? []], data.Exception));
            }
        }
    }
}
