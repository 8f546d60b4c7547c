using Helpdesk.Api.Common;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Time;

/// <summary>The caller's timer after a start: the ticket it runs on, and the entry recorded for the timer it replaced.</summary>
public sealed record TimerState(string AgentId, string TicketId, DateTimeOffset StartedAt, TimeEntry? Stopped);

public sealed record PresenceState(long Seconds, TimeEntry? Draft);

/// <summary>
/// One running timer per agent. Starting on another ticket stops the running one and records its
/// entry on that ticket, in the same transaction. A timer left running longer than the maximum
/// records the maximum, flagged as capped.
/// </summary>
internal static class TimerEndpoints
{
    public static Task<IResult> StartAsync(string id, TimeWork work, ITimeStore store, ITicketStore tickets, WorkDates dates, TimeProvider clock, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            c.Ticket.EnsureWorkAllowed(id, work.Options.AllowOnClosedTickets);
            var running = await store.FindTimerAsync(c.Actor.Id, ct);
            if (running?.TicketId == id)
            {
                return TypedResults.Ok(new TimerState(running.AgentId, id, running.StartedAt, null));
            }

            var write = new TimeWrite { StartTimer = new RunningTimer(c.Actor.Id, id, c.Now), StopTimer = running };
            TimeEntry? stopped = null;
            var other = running is null ? null : await tickets.FindAsync(running.TicketId, ct);
            if (running is not null && other is not null)
            {
                stopped = await RecordAsync(running, other, work, dates, clock, c.Now, c, ct);
                write = write with { Tickets = [other], Entries = [new Versioned<TimeEntry>(stopped, 0)] };
            }

            await store.WriteAsync(write, ct);
            return TypedResults.Ok(new TimerState(c.Actor.Id, id, c.Now, stopped));
        }, ct);

    public static Task<IResult> StopAsync(string id, TimeWork work, ITimeStore store, WorkDates dates, TimeProvider clock, HttpContext http, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var running = await store.FindTimerAsync(c.Actor.Id, ct);
            if (running?.TicketId != id)
            {
                return NoTimer();
            }

            var entry = await RecordAsync(running, c.Ticket, work, dates, clock, c.Now, c, ct);
            await store.WriteAsync(new TimeWrite { Tickets = [c.Ticket], Entries = [new Versioned<TimeEntry>(entry, 0)], StopTimer = running }, ct);
            ETags.Set(http.Response, 1);
            return TypedResults.Created($"/api/tickets/{id}/time-entries/{entry.Id}", entry);
        }, ct);

    /// <summary>Throws the timer away without recording anything (started by mistake, or on a ticket closed since).</summary>
    public static Task<IResult> DiscardAsync(string id, TimeWork work, ITimeStore store, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            var running = await store.FindTimerAsync(c.Actor.Id, ct);
            if (running?.TicketId != id)
            {
                return NoTimer();
            }

            await store.WriteAsync(new TimeWrite { StopTimer = running }, ct);
            return TypedResults.NoContent();
        }, ct);

    /// <summary>
    /// A heartbeat while the agent has the ticket open. Counted time accumulates in one draft entry
    /// (non-billable) that the agent confirms or deletes.
    /// </summary>
    public static Task<IResult> HeartbeatAsync(string id, TimeWork work, ITimeStore store, WorkDates dates, TimeProvider clock, CancellationToken ct) =>
        work.RunAsync(id, async c =>
        {
            c.Ticket.EnsureWorkAllowed(id, work.Options.AllowOnClosedTickets);
            var found = await store.FindPresenceAsync(c.Actor.Id, id, ct);
            if (found is null)
            {
                await store.WriteAsync(new TimeWrite { SavePresence = new(Presence.Begin(c.Actor.Id, id, c.Now), 0) }, ct);
                return TypedResults.Ok(new PresenceState(0, null));
            }

            var presence = found.Value.Beat(c.Now, work.Options.HeartbeatGap);
            if (presence.Seconds == 0)
            {
                await store.WriteAsync(new TimeWrite { SavePresence = found with { Value = presence } }, ct);
                return TypedResults.Ok(new PresenceState(0, null));
            }

            var draft = presence.DraftEntryId is null ? null : await store.FindAsync(id, presence.DraftEntryId, ct);
            Versioned<TimeEntry> written;
            if (draft is { Value.Draft: true })
            {
                written = draft with { Value = draft.Value.Grow(presence, c.Now) };
            }
            else
            {
                var created = TimeEntry.DraftFromPresence(Ids.New("tim", clock), presence, await dates.DateOfAsync(c.Ticket, c.Now, ct), c.Now);
                presence = presence with { DraftEntryId = created.Id };
                written = new Versioned<TimeEntry>(created, 0);
            }

            await store.WriteAsync(new TimeWrite { Entries = [written], SavePresence = found with { Value = presence } }, ct);
            return TypedResults.Ok(new PresenceState(presence.Seconds, written.Value));
        }, ct);

    private static async Task<TimeEntry> RecordAsync(RunningTimer running, Ticket ticket, TimeWork work, WorkDates dates, TimeProvider clock, DateTimeOffset now, WorkContext c, CancellationToken ct)
    {
        var entry = TimeEntry.FromTimer(Ids.New("tim", clock), running, running.Read(now, work.Options.MaxTimer), await dates.DateOfAsync(ticket, running.StartedAt, ct), now);
        ticket.LogTime(entry, work.Options.AllowOnClosedTickets, c.Actor, now);
        return entry;
    }

    private static IResult NoTimer() =>
        Problems.Result(Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("no-timer-running"), "You have no timer running on this ticket.", null));
}
