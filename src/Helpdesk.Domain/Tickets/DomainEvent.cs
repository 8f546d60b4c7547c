using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>
/// Something that happened to a ticket, stored with the write that produced it and published
/// afterwards (at least once). <see cref="Id"/> lets every consumer drop a redelivery.
/// <see cref="TraceParent"/> is the W3C trace context of the work that stored it, set by the
/// store so the consumers' work joins the same trace; the domain never sets or reads it.
/// </summary>
public sealed record DomainEvent(
    Guid Id,
    string Type,
    string TicketId,
    DateTimeOffset OccurredAt,
    Actor Actor,
    IReadOnlyDictionary<string, string?> Data,
    string? TraceParent = null);

/// <summary>The event types a ticket emits; webhooks and notification rules subscribe to these names.</summary>
public static class TicketEventTypes
{
    public const string Created = "ticket.created";
    public const string Updated = "ticket.updated";
    public const string Read = "ticket.read";
    public const string Started = "ticket.started";
    public const string Assigned = "ticket.assigned";
    public const string Escalated = "ticket.escalated";
    public const string WaitingOnCustomer = "ticket.waiting";
    public const string Resolved = "ticket.resolved";
    public const string Closed = "ticket.closed";
    public const string Reopened = "ticket.reopened";

    /// <summary>A message joined the conversation; data: messageId, visibility, authorType, cc (comma-separated emails).</summary>
    public const string MessageAdded = "ticket.messageAdded";

    public const string AttachmentAdded = "ticket.attachmentAdded";
    public const string AttachmentRemoved = "ticket.attachmentRemoved";

    /// <summary>A contact's personal data was erased on the ticket (GDPR); data: contactId, pseudonym, messages, attachments (counts).</summary>
    public const string PersonalDataErased = "ticket.personalDataErased";
}

/// <summary>The events of the SLA breach scan.</summary>
public static class SlaEventTypes
{
    public const string Warning = "sla.warning";
    public const string Breached = "sla.breached";
    public const string Escalated = "sla.escalated";
}
