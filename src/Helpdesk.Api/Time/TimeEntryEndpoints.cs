using FluentValidation;
using Helpdesk.Api.Auth;
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

    public static async Task<IResult> CreateAsync(
        string id,
        TimeEntryRequest request,
        TicketRunner runner,
        Caller caller,
        WorkPolicy work,
        WorkDates dates,
        IDirectoryStore directory,
        HttpContext http,
        CancellationToken ct) =>
        (await runner.RunAsync<TimeEntry>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                var agentId = request.AgentId ?? c.Actor.Id;
                if (!work.MayChange(c.Actor, agentId))
                {
                    return Problems.Create(StatusCodes.Status403Forbidden, ProblemTypes.Rule("not-entry-author"), "Only a supervisor records time for another agent.", null);
                }

                if (request.AgentId is not null && await directory.FindAsync(DirectoryKinds.Agent, request.AgentId, ct) is null)
                {
                    return Problems.Validation("agentId", "No such agent in the directory.");
                }

                var workDate = request.WorkDate ?? await dates.DateOfAsync(c.Ticket, c.Now, ct);
                var entry = TimeEntry.Log(Ids.New("tim", c.Now), id, agentId, request.Minutes!.Value, request.Billable!.Value, request.Note, workDate, c.Now);
                c.Ticket.LogTime(entry, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
                c.Write(TicketItemWrite.Add(TicketItemKinds.TimeEntry, entry.Id, entry));
                return entry;
            },
            ct)).ToResult(entry =>
            {
                ETags.Set(http.Response, 1);
                return TypedResults.Created($"/api/tickets/{id}/time-entries/{entry.Id}", entry);
            });

    public static async Task<IResult> UpdateAsync(string id, string entryId, TimeEntryRequest request, TicketRunner runner, Caller caller, WorkPolicy work, ITimeStore store, HttpContext http, CancellationToken ct) =>
        Answer(
            await runner.RunOnItemAsync<TimeEntry, Versioned<TimeEntry>>(
                id,
                await caller.ActorAsync(ct),
                Address(store, id, entryId, TicketPrecondition.Require(http.Request)),
                (by, entry) => request.AgentId is not null && request.AgentId != entry.AgentId ? WorkPolicy.NotAuthor() : work.Refuse(by, entry.AgentId),
                (c, found) =>
                {
                    var changed = found.Value.Edit(request.Minutes!.Value, request.Billable!.Value, request.Note, request.WorkDate ?? found.Value.WorkDate, c.Now);
                    c.Ticket.ChangeTime(found.Value, changed, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
                    c.Write(TicketItemWrite.Put(TicketItemKinds.TimeEntry, entryId, found with { Value = changed }));
                    return Task.FromResult<Outcome<Versioned<TimeEntry>>>(new Versioned<TimeEntry>(changed, found.Version + 1));
                },
                ct),
            http.Response);

    public static async Task<IResult> DeleteAsync(string id, string entryId, TicketRunner runner, Caller caller, WorkPolicy work, ITimeStore store, HttpContext http, CancellationToken ct) =>
        (await runner.RunOnItemAsync<TimeEntry, TimeEntry>(
            id,
            await caller.ActorAsync(ct),
            Address(store, id, entryId, TicketPrecondition.Require(http.Request)),
            (by, entry) => work.Refuse(by, entry.AgentId),
            async (c, found) =>
            {
                c.Write(TicketItemWrite.Remove(TicketItemKinds.TimeEntry, entryId, found.Version));
                if (found.Value.Draft)
                {
                    await StopCountingAsync(store, found.Value, c, ct);
                }
                else
                {
                    c.Ticket.RemoveTime(found.Value, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
                }

                return found.Value;
            },
            ct)).ToResult(_ => TypedResults.NoContent());

    /// <summary>A draft becomes real work: it counts from now on and enters the ticket history.</summary>
    public static async Task<IResult> ConfirmAsync(string id, string entryId, ConfirmDraftRequest? request, TicketRunner runner, Caller caller, WorkPolicy work, ITimeStore store, HttpContext http, CancellationToken ct) =>
        Answer(
            await runner.RunOnItemAsync<TimeEntry, Versioned<TimeEntry>>(
                id,
                await caller.ActorAsync(ct),
                Address(store, id, entryId, TicketPrecondition.IfSent(http.Request)),
                (by, entry) => work.Refuse(by, entry.AgentId),
                async (c, found) =>
                {
                    var confirmed = found.Value.Confirm(request?.Billable ?? false, c.Now);
                    c.Ticket.LogTime(confirmed, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
                    c.Write(TicketItemWrite.Put(TicketItemKinds.TimeEntry, entryId, found with { Value = confirmed }));
                    await StopCountingAsync(store, found.Value, c, ct);
                    return new Versioned<TimeEntry>(confirmed, found.Version + 1);
                },
                ct),
            http.Response);

    private static ItemAddress<TimeEntry> Address(ITimeStore store, string ticketId, string entryId, TicketPrecondition precondition) =>
        new("time entry", ct => store.FindAsync(ticketId, entryId, ct), precondition);

    /// <summary>The entry as written, with its new ETag.</summary>
    private static IResult Answer(Outcome<Versioned<TimeEntry>> outcome, HttpResponse response) =>
        outcome.ToResult(entry =>
        {
            ETags.Set(response, entry.Version);
            return TypedResults.Ok(entry.Value);
        });

    /// <summary>The presence that feeds a draft goes with it: once the draft is confirmed or deleted, counting starts afresh.</summary>
    private static async Task StopCountingAsync(ITimeStore store, TimeEntry draft, TicketCommand c, CancellationToken ct)
    {
        var presence = await store.FindPresenceAsync(draft.AgentId, draft.TicketId, ct);
        if (presence?.Value.DraftEntryId == draft.Id)
        {
            c.Write(TicketItemWrite.Remove(TicketItemKinds.Presence, presence.Value.AgentId, presence.Version));
        }
    }
}
