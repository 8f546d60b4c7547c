using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Helpdesk.Api.Common;

/// <summary>
/// The app's own traces: one <see cref="ActivitySource"/> named <see cref="Name"/>, spans named for
/// the work they do (<c>ticket.create</c>, <c>mail.ingest</c>, <c>sla.scan</c>,
/// <c>notification.deliver</c>), carrying ids (ticket, event, mailbox) and never a body, a
/// subject or a customer's address. Work that crosses a queue carries the W3C
/// <c>traceparent</c> of the span that stored it inside the stored item (an event, a queued
/// mail), and the span that takes it up continues that trace.
/// </summary>
public static class Telemetry
{
    public const string Name = "Helpdesk";

    public static ActivitySource Source { get; } = new(Name);

    /// <summary>The W3C traceparent of the span running now, or null when nothing is traced.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>A span of work the app does on its own account (a job, a write).</summary>
    public static Activity? Start(string name, ActivityKind kind = ActivityKind.Internal) =>
        Source.StartActivity(name, kind);

    /// <summary>
    /// A span that takes up work stored by another (a queued event or mail): its parent is the
    /// stored <paramref name="traceParent"/> when it is one, and it links to the span that runs
    /// now (the Functions host's invocation, a sweep), which is where it was picked up.
    /// </summary>
    public static Activity? Continue(string name, string? traceParent, ActivityKind kind = ActivityKind.Consumer)
    {
        if (!ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent))
        {
            return Source.StartActivity(name, kind);
        }

        var links = Activity.Current is { } picker ? new[] { new ActivityLink(picker.Context) } : null;
        return Source.StartActivity(name, kind, parent, links: links);
    }

    /// <summary>
    /// A span that takes up many stored items at once (a batch fans in): a new trace linked to
    /// the trace of each item, since a span has one parent.
    /// </summary>
    public static Activity? FanIn(string name, IEnumerable<string?> traceParents)
    {
        ArgumentNullException.ThrowIfNull(traceParents);
        var links = traceParents
            .Select(t => ActivityContext.TryParse(t, null, isRemote: true, out var context) ? context : default)
            .Where(c => c != default)
            .Distinct()
            .Select(c => new ActivityLink(c))
            .ToList();
        return Source.StartActivity(name, ActivityKind.Internal, Activity.Current?.Context ?? default, links: links);
    }

    /// <summary>
    /// The events a write stores, each carrying the trace of the span that stores them (an event
    /// that already carries one keeps it), so whoever takes them up continues that trace.
    /// </summary>
    public static IReadOnlyList<Helpdesk.Domain.Tickets.DomainEvent> Traced(this IReadOnlyList<Helpdesk.Domain.Tickets.DomainEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.TracedBy(CurrentTraceParent());
    }

    /// <summary>
    /// The events stamped with <paramref name="traceParent"/>, the trace of the request that made
    /// them, read before the write was handed to another flow (SQLite's one writer may commit it
    /// in the flow of another caller's write, where <see cref="Activity.Current"/> is theirs).
    /// </summary>
    public static IReadOnlyList<Helpdesk.Domain.Tickets.DomainEvent> TracedBy(this IReadOnlyList<Helpdesk.Domain.Tickets.DomainEvent> events, string? traceParent)
    {
        ArgumentNullException.ThrowIfNull(events);
        return traceParent is null ? events : [.. events.Select(e => e.TraceParent is null ? e with { TraceParent = traceParent } : e)];
    }

    /// <summary>Marks the span failed with the exception's type (its message may carry customer data).</summary>
    public static void Failed(this Activity? activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity?.SetTag("error.type", exception.GetType().FullName);
    }
}

/// <summary>
/// Values a gauge reports that take the store to read: refreshed in the background while
/// telemetry is exported (Hosting's sampler), reported from the last reading.
/// </summary>
public interface ITelemetrySample
{
    Task RefreshAsync(CancellationToken cancellationToken);
}

/// <summary>The attribute names the app's spans and metrics use.</summary>
public static class TelemetryTags
{
    public const string TicketId = "helpdesk.ticket.id";
    public const string TicketNumber = "helpdesk.ticket.number";
    public const string EventId = "helpdesk.event.id";
    public const string EventType = "helpdesk.event.type";
    public const string Mailbox = "mailbox";
    public const string MailSeq = "helpdesk.mail.seq";
    public const string MailOutcome = "helpdesk.mail.outcome";
    public const string Direction = "direction";
    public const string Queue = "messaging.destination.name";
    public const string MessagingSystem = "messaging.system";
    public const string DeliveryCount = "messaging.message.delivery_count";
    public const string Job = "helpdesk.job";
}

/// <summary>
/// The app's metrics (meter <see cref="Telemetry.Name"/>), one instrument per question a dashboard
/// asks. Names and units are a contract: the alerts of infra-bicep read some of them
/// (docs/telemetry.md lists which), so renaming one is a change of that file too.
/// </summary>
public sealed class HelpdeskMetrics
{
    public HelpdeskMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Meter = meters.Create(Telemetry.Name);
        TicketsCreated = Meter.CreateCounter<long>("helpdesk.tickets.created", "{ticket}", "Tickets opened, by any channel.");
        TicketsResolved = Meter.CreateCounter<long>("helpdesk.tickets.resolved", "{ticket}", "Tickets resolved.");
        SlaWarnings = Meter.CreateCounter<long>("helpdesk.sla.warnings", "{milestone}", "SLA targets recorded at risk.");
        SlaBreaches = Meter.CreateCounter<long>("helpdesk.sla.breaches", "{milestone}", "SLA targets recorded breached.");
        SlaEscalations = Meter.CreateCounter<long>("helpdesk.sla.escalations", "{milestone}", "SLA escalation levels applied.");
        MailIngested = Meter.CreateCounter<long>("helpdesk.mail.ingested", "{mail}", "Inbound mails that became a ticket or joined one.");
        MailFiltered = Meter.CreateCounter<long>("helpdesk.mail.filtered", "{mail}", "Inbound mails the firewall set aside (auto-replies, bounces, loops).");
        MailQuarantined = Meter.CreateCounter<long>("helpdesk.mail.quarantined", "{mail}", "Inbound mails held back as a burst from one sender.");
        MailDeadLettered = Meter.CreateCounter<long>("helpdesk.mail.dead_lettered", "{mail}", "Mails given up on: inbound after its attempts, outbound after Mail:Outbound:MaxAttempts.");
        MailSent = Meter.CreateCounter<long>("helpdesk.mail.sent", "{mail}", "Outbound messages sent (a coalesced group counts once).");
        MailThrottled = Meter.CreateCounter<long>("helpdesk.mail.throttled", "{mail}", "Outbound messages put back because Graph throttled the mailbox.");
        MailSendFailed = Meter.CreateCounter<long>("helpdesk.mail.send_failed", "{mail}", "Outbound send attempts that failed (retried or dead-lettered).");
        GraphThrottled = Meter.CreateCounter<long>("helpdesk.graph.throttled", "{response}", "Microsoft Graph answers 429 Too Many Requests (each attempt, retries included).");
        WebhooksFailed = Meter.CreateCounter<long>("helpdesk.webhooks.failed", "{delivery}", "Webhook deliveries that failed and are retried.");
        EventsDeadLettered = Meter.CreateCounter<long>("helpdesk.queue.dead_lettered", "{message}", "Event messages the local queue gave up on.");
    }

    public Meter Meter { get; }

    public Counter<long> TicketsCreated { get; }

    public Counter<long> TicketsResolved { get; }

    public Counter<long> SlaWarnings { get; }

    public Counter<long> SlaBreaches { get; }

    public Counter<long> SlaEscalations { get; }

    public Counter<long> MailIngested { get; }

    public Counter<long> MailFiltered { get; }

    public Counter<long> MailQuarantined { get; }

    public Counter<long> MailDeadLettered { get; }

    public Counter<long> MailSent { get; }

    public Counter<long> MailThrottled { get; }

    public Counter<long> MailSendFailed { get; }

    public Counter<long> GraphThrottled { get; }

    public Counter<long> WebhooksFailed { get; }

    public Counter<long> EventsDeadLettered { get; }

    /// <summary>Counts a mail of <paramref name="mailbox"/> (the configured id, never a customer address).</summary>
    public static void Add(Counter<long> counter, string mailbox, string direction)
    {
        ArgumentNullException.ThrowIfNull(counter);
        counter.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Mailbox, mailbox), new KeyValuePair<string, object?>(TelemetryTags.Direction, direction));
    }
}
