using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Time;

/// <summary>The caller's timer after a start: the ticket it runs on, and the entry recorded for the timer it replaced.</summary>
public sealed record TimerState(string AgentId, string TicketId, DateTimeOffset StartedAt, TimeEntry? Stopped);

public sealed record PresenceState(long Seconds, TimeEntry? Draft);

/// <summary>
/// One running timer per agent. Starting on another ticket stops the running one and records its
/// entry on that ticket, in the same write. A timer left running longer than the maximum
/// records the maximum, flagged as capped.
/// </summary>
internal static class TimerEndpoints
{
    public static async Task<IResult> StartAsync(string id, TicketRunner runner, Caller caller, WorkPolicy work, ITimeStore store, WorkDates dates, CancellationToken ct) =>
        (await runner.RunAsync<TimerState>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                c.Ticket.EnsureWorkAllowed(id, work.Options.AllowOnClosedTickets);
                var running = await store.FindTimerAsync(c.Actor.Id, ct);
                if (running?.Value.TicketId == id)
                {
                    return new TimerState(running.Value.AgentId, id, running.Value.StartedAt, null);
                }

                TimeEntry? stopped = null;
                if (running is not null && await c.FindAsync(running.Value.TicketId, ct, TicketLookup.IncludingDeleted) is { } other)
                {
                    var stop = TicketItemWrite.Remove(TicketItemKinds.Timer, c.Actor.Id, running.Version);
                    if (other.IsDeleted)
                    {
                        c.Write(other, stop);
                    }
                    else
                    {
                        stopped = await RecordAsync(running.Value, other, work, dates, c, ct);
                        c.Write(other, TicketItemWrite.Add(TicketItemKinds.TimeEntry, stopped.Id, stopped), stop);
                    }
                }

                c.Write(TicketItemWrite.Add(TicketItemKinds.Timer, c.Actor.Id, new RunningTimer(c.Actor.Id, id, c.Now)));
                return new TimerState(c.Actor.Id, id, c.Now, stopped);
            },
            ct)).ToResult(TypedResults.Ok);

    public static async Task<IResult> StopAsync(string id, TicketRunner runner, Caller caller, WorkPolicy work, ITimeStore store, WorkDates dates, HttpContext http, CancellationToken ct) =>
        (await runner.RunAsync<TimeEntry>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                var running = await store.FindTimerAsync(c.Actor.Id, ct);
                if (running?.Value.TicketId != id)
                {
                    return NoTimer();
                }

                var entry = await RecordAsync(running.Value, c.Ticket, work, dates, c, ct);
                c.Write(TicketItemWrite.Add(TicketItemKinds.TimeEntry, entry.Id, entry));
                c.Write(TicketItemWrite.Remove(TicketItemKinds.Timer, c.Actor.Id, running.Version));
                return entry;
            },
            ct)).ToResult(entry =>
            {
                ETags.Set(http.Response, 1);
                return TypedResults.Created($"/api/tickets/{id}/time-entries/{entry.Id}", entry);
            });

    /// <summary>Throws the timer away without recording anything (started by mistake, or on a ticket closed since).</summary>
    public static async Task<IResult> DiscardAsync(string id, TicketRunner runner, Caller caller, ITimeStore store, CancellationToken ct) =>
        (await runner.RunAsync<RunningTimer>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                var running = await store.FindTimerAsync(c.Actor.Id, ct);
                if (running?.Value.TicketId != id)
                {
                    return NoTimer();
                }

                c.Write(TicketItemWrite.Remove(TicketItemKinds.Timer, c.Actor.Id, running.Version));
                return running.Value;
            },
            ct)).ToResult(_ => TypedResults.NoContent());

    /// <summary>
    /// A heartbeat while the agent has the ticket open. Counted time accumulates in one draft entry
    /// (non-billable) that the agent confirms or deletes.
    /// </summary>
    public static async Task<IResult> HeartbeatAsync(string id, TicketRunner runner, Caller caller, WorkPolicy work, ITimeStore store, WorkDates dates, CancellationToken ct) =>
        (await runner.RunAsync<PresenceState>(
            id,
            await caller.ActorAsync(ct),
            TicketPrecondition.None,
            async c =>
            {
                c.Ticket.EnsureWorkAllowed(id, work.Options.AllowOnClosedTickets);
                var found = await store.FindPresenceAsync(c.Actor.Id, id, ct);
                if (found is null)
                {
                    c.Write(TicketItemWrite.Add(TicketItemKinds.Presence, c.Actor.Id, Presence.Begin(c.Actor.Id, id, c.Now)));
                    return new PresenceState(0, null);
                }

                var presence = found.Value.Beat(c.Now, work.Options.HeartbeatGap);
                if (presence.Seconds == 0)
                {
                    c.Write(TicketItemWrite.Put(TicketItemKinds.Presence, c.Actor.Id, found with { Value = presence }));
                    return new PresenceState(0, null);
                }

                var draft = presence.DraftEntryId is null ? null : await store.FindAsync(id, presence.DraftEntryId, ct);
                TimeEntry written;
                if (draft is { Value.Draft: true })
                {
                    written = draft.Value.Grow(presence, c.Now);
                    c.Write(TicketItemWrite.Put(TicketItemKinds.TimeEntry, written.Id, draft with { Value = written }));
                }
                else
                {
                    written = TimeEntry.DraftFromPresence(Ids.New("tim", c.Now), presence, await dates.DateOfAsync(c.Ticket, c.Now, ct), c.Now);
                    presence = presence with { DraftEntryId = written.Id };
                    c.Write(TicketItemWrite.Add(TicketItemKinds.TimeEntry, written.Id, written));
                }

                c.Write(TicketItemWrite.Put(TicketItemKinds.Presence, c.Actor.Id, found with { Value = presence }));
                return new PresenceState(presence.Seconds, written);
            },
            ct)).ToResult(TypedResults.Ok);

    private static async Task<TimeEntry> RecordAsync(RunningTimer running, Ticket ticket, WorkPolicy work, WorkDates dates, TicketCommand c, CancellationToken ct)
    {
        var entry = TimeEntry.FromTimer(Ids.New("tim", c.Now), running, running.Read(c.Now, work.Options.MaxTimer), await dates.DateOfAsync(ticket, running.StartedAt, ct), c.Now);
        ticket.LogTime(entry, work.Options.AllowOnClosedTickets, c.Actor, c.Now);
        return entry;
    }

    private static ProblemDetails NoTimer() =>
        Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("no-timer-running"), "You have no timer running on this ticket.", null);
}
