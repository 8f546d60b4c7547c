using Helpdesk.Api.Common;
using Helpdesk.Api.Idempotency;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tickets;

/// <summary>What a new ticket is made of before it has an id and a number.</summary>
public sealed record TicketDraft(
    string Subject,
    string? Description,
    Requester? Requester,
    string? AccountId,
    Priority Priority = Priority.Normal,
    string? Type = null,
    string? Group = null,
    string? Severity = null,
    string? Impact = null,
    string? TeamId = null,
    string? AssigneeId = null,
    DateTimeOffset? StartAt = null,
    DateTimeOffset? DueAt = null,
    IReadOnlyList<string>? Tags = null,
    bool NotifyCustomer = true,
    string? FollowUpOfId = null);

/// <summary>
/// The one place tickets are opened, whatever opens them: an agent through the API, a customer
/// in the portal, inbound mail, a follow-up of a closed ticket, a split. It draws the number
/// (numbers may have gaps but never repeat: one already stored, after an import or a restored
/// backup, is drawn again), creates the ticket through the aggregate, and stores it with its
/// first items in one write. A ticket opened for a request with an Idempotency-Key stores the
/// key's receipt; a retry of that request whose answer was lost gets the ticket it opened.
/// </summary>
public sealed class TicketOpening(ITicketStore store, ITicketNumberSequence sequence, IOptions<TicketOptions> options, TimeProvider clock, IdempotentRequests requests)
{
    /// <summary>
    /// Opens and stores a ticket; <paramref name="firstItems"/> says what is stored with it (its
    /// first message) and may record it on the ticket. Returns the ticket as stored.
    /// </summary>
    public Task<Ticket> OpenAsync(TicketDraft draft, Actor by, Func<Ticket, IReadOnlyList<TicketItemWrite>> firstItems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(firstItems);
        return OpenTracedAsync(draft, by, firstItems, cancellationToken);
    }

    /// <summary>The opening in a <c>ticket.create</c> span: its events (ticket.created first) carry it to their consumers.</summary>
    private async Task<Ticket> OpenTracedAsync(TicketDraft draft, Actor by, Func<Ticket, IReadOnlyList<TicketItemWrite>> firstItems, CancellationToken cancellationToken)
    {
        using var span = Telemetry.Start("ticket.create");
        span?.SetTag("helpdesk.actor.type", Names.Of(by.Type));
        var request = requests.Current;
        try
        {
            var opened = await TicketRunner.RetryAsync(
                async ct =>
                {
                    if (request is { Recovering: true }
                        && await store.FindReceiptAsync(request.ReceiptId, request.At - IdempotentRequest.Retention, ct) is { } openedId
                        && await store.FindAsync(openedId, ct) is { } found)
                    {
                        return found;
                    }

                    var ticket = await NewAsync(draft, by, ct);
                    await store.SaveAsync([new TicketWrite(ticket, firstItems(ticket), request is null ? null : new TicketReceipt(request.ReceiptId, request.At))], ct);
                    request?.MarkCommitted();
                    return ticket;
                },
                cancellationToken);
            span?.SetTag(TelemetryTags.TicketId, opened.Id);
            span?.SetTag(TelemetryTags.TicketNumber, opened.Number);
            return opened;
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
    }

    public Task<Ticket> OpenAsync(TicketDraft draft, Actor by, CancellationToken cancellationToken) =>
        OpenAsync(draft, by, _ => [], cancellationToken);

    /// <summary>
    /// A new ticket with its number drawn, not stored yet: the caller stores it as part of a
    /// larger write (a split) inside <see cref="TicketRunner"/>, which draws again when the number
    /// is taken. An import (the demo data) gives the ticket's id and when it was opened.
    /// </summary>
    public async Task<Ticket> NewAsync(TicketDraft draft, Actor by, CancellationToken cancellationToken, DateTimeOffset? openedAt = null, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var settings = options.Value;
        var now = openedAt ?? clock.GetUtcNow();
        var number = settings.NumberFormat.Format(now, await sequence.NextAsync(settings.NumberFormat.SequenceKey(now), cancellationToken));
        return Ticket.Create(
            new NewTicket(
                Id: id ?? Ids.New("t", now),
                Number: number,
                Subject: draft.Subject,
                Description: draft.Description,
                Requester: draft.Requester,
                AccountId: draft.AccountId,
                Priority: draft.Priority,
                Type: draft.Type,
                Group: draft.Group,
                Severity: draft.Severity,
                Impact: draft.Impact,
                TeamId: draft.TeamId,
                AssigneeId: draft.AssigneeId,
                StartAt: draft.StartAt,
                DueAt: draft.DueAt,
                Tags: draft.Tags ?? [],
                NotifyCustomer: draft.NotifyCustomer,
                FollowUpOfId: draft.FollowUpOfId),
            by,
            settings.Settings,
            now);
    }
}
