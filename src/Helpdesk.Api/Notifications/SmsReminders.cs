using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Events;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// The HTTP SMS provider (section <c>Notifications:Sms</c>): the URL the helpdesk POSTs each SMS
/// to, the secret it signs them with, and the sender name or number the provider shows. Without a
/// URL and a secret no SMS can be sent, and an <c>sms</c> reminder is refused when it is set.
/// </summary>
public sealed class SmsOptions
{
    public const string Section = "Notifications:Sms";

    public Uri? Url { get; set; }

    public string? Secret { get; set; }

    public string? Sender { get; set; }

    public bool Configured => Url is not null && !string.IsNullOrWhiteSpace(Secret);

    public bool IsValid() =>
        (Url is null && string.IsNullOrWhiteSpace(Secret))
        || (Url is { IsAbsoluteUri: true } url && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp) && Secret is { Length: >= 16 });
}

/// <summary>
/// The SMS already handed to the provider, by id (one per reminder event and agent): a
/// redelivered reminder finds its SMS there and does not send it again. Rows live and die with their ticket.
/// </summary>
public interface ISmsDeliveries
{
    Task<bool> SentAsync(string id, string ticketId, CancellationToken cancellationToken);

    Task MarkSentAsync(string id, string ticketId, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// Sends the <c>sms</c> channel of a due activity reminder to its owner's SMS number (their
/// notification preferences) through the provider: one JSON POST, signed like the webhooks
/// (<see cref="HmacSignature.Header"/>: <c>t={unix seconds},v1={hex HMAC-SHA256 of "{t}.{body}"}</c>
/// with <c>Notifications:Sms:Secret</c>), carrying its id in <c>Idempotency-Key</c> so the provider
/// can drop a repeat. Transient failures are retried (<see cref="Retries.AddSmsResilience"/>); a
/// failure left after that fails the delivery, which the notifications queue tries again. Once the
/// provider accepted it the SMS gets its line in the ticket's history (once) and is recorded as
/// sent, never to be sent again.
/// </summary>
public sealed partial class SmsReminders(IOptions<SmsOptions> options, ISmsDeliveries deliveries, IDirectoryStore directory, ITicketStore tickets, TicketRunner runner, IHttpClientFactory http, TimeProvider clock, ILogger<SmsReminders> logger)
{
    public const string HttpClientName = "sms";
    public const string Channel = "sms";
    public const int MaxTextLength = 160;

    public async Task SendAsync(EventMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Type != NotificationTriggers.ActivityReminder
            || message.TicketId is not { } ticketId
            || !(message.Value("channels") ?? string.Empty).Split(',', StringSplitOptions.TrimEntries).Contains(Channel, StringComparer.Ordinal))
        {
            return;
        }

        var provider = options.Value;
        var ownerId = message.Value("ownerId");
        if (!provider.Configured)
        {
            LogNoProvider(logger, message.EventId);
            return;
        }

        var owner = ownerId is null ? null : (await directory.FindAsync(DirectoryKinds.Agent, ownerId, cancellationToken))?.Value;
        var number = owner is { Active: true } ? (await directory.FindAsync(NotificationKinds.Preferences, owner.Id, cancellationToken))?.Value.SmsNumber : null;
        if (owner is null || number is null)
        {
            LogNoNumber(logger, message.EventId, ownerId);
            return;
        }

        var id = IdFor(message.EventId, owner.Id);
        if (await deliveries.SentAsync(id, ticketId, cancellationToken))
        {
            return;
        }

        var ticket = await tickets.FindAsync(ticketId, cancellationToken);
        var text = Text(message.Value("title"), ticket?.Number);
        var body = JsonSerializer.Serialize(new SmsRequest(id, number, provider.Sender, text, ticketId, ticket?.Number, message.Value("activityId")), SmsJson.Options);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, provider.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(HmacSignature.Header, HmacSignature.Sign(provider.Secret!, timestamp, body));
        request.Headers.Add("Idempotency-Key", id);
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The SMS provider answered {(int)response.StatusCode} to SMS {id}; it is tried again.", null, response.StatusCode);
        }

        await runner.RunAsync<bool>(
            ticketId,
            Domain.Common.Actor.System("notifications"),
            TicketPrecondition.None,
            c =>
            {
                c.Ticket.RecordSms(id, owner.Email, text, c.Now);
                return true;
            },
            cancellationToken,
            TicketLookup.IncludingDeleted);
        await deliveries.MarkSentAsync(id, ticketId, clock.GetUtcNow(), cancellationToken);
    }

    /// <summary>Stable per reminder event and agent.</summary>
    public static string IdFor(string eventId, string agentId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("sms\n" + eventId + "\n" + agentId));
        return "sms_" + Convert.ToHexStringLower(hash)[..24];
    }

    private static string Text(string? title, string? ticketNumber)
    {
        var about = ticketNumber is null ? string.Empty : $" (ticket {ticketNumber})";
        var text = $"Reminder: {title ?? "activity due"}{about}";
        return text.Length <= MaxTextLength ? text : text[..(MaxTextLength - 1)] + "…";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS reminder of event {EventId} not sent: no SMS provider is configured any more")]
    private static partial void LogNoProvider(ILogger logger, string eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS reminder of event {EventId} not sent: agent {AgentId} is gone, inactive or has no SMS number any more")]
    private static partial void LogNoNumber(ILogger logger, string eventId, string? agentId);

    /// <summary>The JSON body the provider receives.</summary>
    private sealed record SmsRequest(string Id, string To, string? From, string Text, string TicketId, string? TicketNumber, string? ActivityId);
}

internal static class SmsJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}

/// <summary>The SMS sent, in the embedded file (table created by <see cref="SqliteNotificationInbox.Migration"/>).</summary>
internal sealed class SqliteSmsDeliveries(SqliteDatabase database) : ISmsDeliveries
{
    public async Task<bool> SentAsync(string id, string ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var select = connection.Command("SELECT 1 FROM sms_deliveries WHERE id = $id", null, ("$id", id));
        return await select.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async Task MarkSentAsync(string id, string ticketId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenWriterAsync(cancellationToken);
        await using var insert = connection.Command(
            "INSERT INTO sms_deliveries (id, ticket_id, sent_at) VALUES ($id, $ticket, $now) ON CONFLICT (id) DO NOTHING",
            null,
            ("$id", id),
            ("$ticket", ticketId),
            ("$now", SqliteTime.Format(now)));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The SMS sent, one document each in the ticket's partition of the <c>notifications</c> container (purged with it).</summary>
internal sealed class CosmosSmsDeliveries(CosmosContainers containers, CosmosRetry retry) : ISmsDeliveries
{
    private const string DeliveryType = "smsDelivery";

    public async Task<bool> SentAsync(string id, string ticketId, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        try
        {
            await retry.RunAsync(ct => container.ReadItemAsync<DeliveryDocument>(CosmosIds.Safe(id), new PartitionKey(ticketId), cancellationToken: ct), cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task MarkSentAsync(string id, string ticketId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Notifications, cancellationToken);
        var document = new DeliveryDocument(CosmosIds.Safe(id), ticketId, DeliveryType, TicketDocument.Time(now));
        await retry.RunAsync(ct => container.UpsertItemAsync(document, new PartitionKey(ticketId), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct), cancellationToken);
    }

    private sealed record DeliveryDocument(string Id, string TicketId, string Type, string SentAt);
}
