using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>Who a ticket is for: a contact (<c>contactId</c>), or a lead not yet converted (<c>leadId</c>, and no contact).</summary>
public sealed record RequesterResponse(string? ContactId, string Email, string? Name, string? LeadId = null)
{
    /// <summary>Null for an internal ticket, which has no requester.</summary>
    public static RequesterResponse? Of(Requester? requester) =>
        requester switch
        {
            null => null,
            { Lead: true } => new RequesterResponse(null, requester.Email, requester.Name, requester.ContactId),
            _ => new RequesterResponse(requester.ContactId, requester.Email, requester.Name),
        };
}

/// <summary>The ticket representation of API.md; in a searched list (<c>q</c>), with where the text was found (match).</summary>
public sealed record TicketResponse(
    string Id,
    string Number,
    string Subject,
    string? Description,
    TicketStatus Status,
    Priority Priority,
    string? Type,
    string? Group,
    string? Severity,
    string? Impact,
    RequesterResponse? Requester,
    string? AccountId,
    string? AssigneeId,
    string? TeamId,
    IReadOnlyList<string> Tags,
    int Progress,
    bool NotifyCustomer,
    string? ResolutionSummary,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset StartAt,
    DateTimeOffset? DueAt,
    DateTimeOffset? EndAt,
    string? FollowUpOfId,
    TicketSlaResponse? Sla,
    bool PendingApproval,
    string? PendingApprovalId,
    string? MergedIntoId,
    IReadOnlyList<string> MergedFromIds,
    PortalVisibility PortalVisibility,
    TicketLink? Project,
    TicketLink? Contract,
    TicketMatch? Match = null)
{
    public static TicketResponse From(Ticket t, TicketSlaResponse? sla) => new(
        t.Id,
        t.Number,
        t.Subject,
        t.Description,
        t.Status,
        t.Priority,
        t.Type,
        t.Group,
        t.Severity,
        t.Impact,
        RequesterResponse.Of(t.Requester),
        t.AccountId,
        t.AssigneeId,
        t.TeamId,
        t.Tags,
        t.Progress,
        t.NotifyCustomer,
        t.ResolutionSummary,
        t.CreatedAt,
        t.UpdatedAt,
        t.StartAt,
        t.DueAt,
        t.EndAt,
        t.FollowUpOfId,
        sla,
        t.PendingApprovalId is not null,
        t.PendingApprovalId,
        t.MergedIntoId,
        t.MergedFromIds,
        t.Portal,
        t.Project,
        t.Contract);
}
