using FluentValidation;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Time;

public sealed record TimeEntryRequest(int? Minutes, bool? Billable, string? Note, DateOnly? WorkDate, string? AgentId);

public sealed record ConfirmDraftRequest(bool? Billable);

public sealed record TimeEntryList(IReadOnlyList<TimeEntry> Items, string? NextCursor, TimeTotals Totals);

internal sealed class TimeEntryValidator : AbstractValidator<TimeEntryRequest>
{
    public TimeEntryValidator()
    {
        RuleFor(r => r.Minutes).NotNull().InclusiveBetween(1, TimeEntry.MaxMinutes).WithMessage($"An entry is from 1 to {TimeEntry.MaxMinutes} minutes (24 hours).");
        RuleFor(r => r.Billable).NotNull();
        RuleFor(r => r.Note).MaximumLength(TimeEntry.MaxNoteLength);
        RuleFor(r => r.AgentId).MaximumLength(100);
    }
}

/// <summary>Time entries of a ticket: logged by hand, or drafts from heartbeats that their agent confirms.</summary>
internal static class TimeEntryEndpoints
{
    public static async Task<IResult> ListAsync(string id, ITicketStore tickets, ITimeStore store, int? limit, string? cursor, CancellationToken ct)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        if (await tickets.FindAsync(id, ct) is null)
        {
            return Problems.NotFound("ticket");
        }

        var page = await store.ListAsync(id, limit ?? Paging.DefaultLimit, cursor, ct);
        return TypedResults.Ok(new TimeEntryList([.. page.Items.Select(e => e.Value)], page.NextCursor, await store.TotalsAsync(id, ct)));
    }

    public static async Task<IResult> GetAsync(string id, string entryId, ITimeStore store, HttpResponse response, CancellationToken ct)
    {
        var entry = await store.FindAsync(id, entryId, ct);
        if (entry is null)
        {
            return Problems.NotFound("time entry");
        }

        ETags.Set(response, entry.Version);
        return TypedResults.Ok(entry.Value);
    }

    public static Task<IResult> CreateAsync(
        string id,
        TimeEntryRequest request,
        TimeWork work,
        ITimeStore store,
        WorkDates dates,
        IDirectoryStore directory,
        TimeProvider clock,
        HttpContext http,
        CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var agentId = request.AgentId ?? c.Actor.Id;
            if (!c.MayChange(agentId))
            {
                return Problems.Result(Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-entry-author"), "Only a supervisor records time for another agent.", null));
            }

            if (request.AgentId is not null && await directory.FindAsync(DirectoryKinds.Agent, request.AgentId, ct) is null)
            {
                return Problems.Result(Problems.Validation("agentId", "No such agent in the directory."));
            }

            var workDate = request.WorkDate ?? await dates.DateOfAsync(c.Ticket, c.Now, ct);
            var entry = TimeEntry.Log(Ids.New("tim", clock), id, agentId, request.Minutes!.Value, request.Billable!.Value, request.Note, workDate, c.Now);
            c.Ticket.LogTime(entry, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
            await store.WriteAsync(new TimeWrite { Tickets = [c.Ticket], Entries = [new Versioned<TimeEntry>(entry, 0)] }, ct);
            ETags.Set(http.Response, 1);
            return TypedResults.Created($"/api/tickets/{id}/time-entries/{entry.Id}", entry);
        }, ct);

    public static Task<IResult> UpdateAsync(string id, string entryId, TimeEntryRequest request, TimeWork work, ITimeStore store, HttpContext http, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var found = await store.FindAsync(id, entryId, ct);
            if (found is null)
            {
                return Problems.NotFound("time entry");
            }

            if (ETags.RequireMatch(http.Request, found.Version) is { } refused)
            {
                return refused;
            }

            if (!c.MayChange(found.Value.AgentId) || (request.AgentId is not null && request.AgentId != found.Value.AgentId))
            {
                return TimeWork.NotAuthor();
            }

            var changed = found.Value.Edit(request.Minutes!.Value, request.Billable!.Value, request.Note, request.WorkDate ?? found.Value.WorkDate, c.Now);
            c.Ticket.ChangeTime(found.Value, changed, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
            await store.WriteAsync(new TimeWrite { Tickets = [c.Ticket], Entries = [found with { Value = changed }] }, ct);
            ETags.Set(http.Response, found.Version + 1);
            return TypedResults.Ok(changed);
        }, ct);

    public static Task<IResult> DeleteAsync(string id, string entryId, TimeWork work, ITimeStore store, HttpContext http, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var found = await store.FindAsync(id, entryId, ct);
            if (found is null)
            {
                return Problems.NotFound("time entry");
            }

            if (ETags.RequireMatch(http.Request, found.Version) is { } refused)
            {
                return refused;
            }

            if (!c.MayChange(found.Value.AgentId))
            {
                return TimeWork.NotAuthor();
            }

            var write = new TimeWrite { Removals = [found] };
            if (found.Value.Draft)
            {
                write = write with { RemovePresence = await PresenceOfAsync(store, found.Value, ct) };
            }
            else
            {
                c.Ticket.RemoveTime(found.Value, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
                write = write with { Tickets = [c.Ticket] };
            }

            await store.WriteAsync(write, ct);
            return TypedResults.NoContent();
        }, ct);

    /// <summary>A draft becomes real work: it counts from now on and enters the ticket history.</summary>
    public static Task<IResult> ConfirmAsync(string id, string entryId, ConfirmDraftRequest? request, TimeWork work, ITimeStore store, HttpContext http, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var found = await store.FindAsync(id, entryId, ct);
            if (found is null)
            {
                return Problems.NotFound("time entry");
            }

            if (ETags.CheckIfSent(http.Request, found.Version) is { } refused)
            {
                return refused;
            }

            if (!c.MayChange(found.Value.AgentId))
            {
                return TimeWork.NotAuthor();
            }

            var confirmed = found.Value.Confirm(request?.Billable ?? false, c.Now);
            c.Ticket.LogTime(confirmed, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
            await store.WriteAsync(
                new TimeWrite { Tickets = [c.Ticket], Entries = [found with { Value = confirmed }], RemovePresence = await PresenceOfAsync(store, found.Value, ct) },
                ct);
            ETags.Set(http.Response, found.Version + 1);
            return TypedResults.Ok(confirmed);
        }, ct);

    /// <summary>The presence that feeds a draft; once the draft is confirmed or deleted, counting starts afresh.</summary>
    private static async Task<Versioned<Domain.Work.Presence>?> PresenceOfAsync(ITimeStore store, TimeEntry draft, CancellationToken ct)
    {
        var presence = await store.FindPresenceAsync(draft.AgentId, draft.TicketId, ct);
        return presence?.Value.DraftEntryId == draft.Id ? presence : null;
    }
}
