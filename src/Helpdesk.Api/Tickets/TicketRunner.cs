using Helpdesk.Api.Common;
using Helpdesk.Api.Idempotency;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// The If-Match a client sent for the ticket a command addresses, and whether the command
/// requires one (an overwrite such as a PATCH does; commands that state an intent do not).
/// </summary>
public sealed record TicketPrecondition(string? IfMatch, bool Required)
{
    /// <summary>No client precondition: a job, a trigger, a command whose If-Match names an item rather than the ticket.</summary>
    public static TicketPrecondition None { get; } = new(null, false);

    /// <summary>Only a sent, stale If-Match refuses.</summary>
    public static TicketPrecondition IfSent(HttpRequest request) => new(ETags.IfMatchOf(request), false);

    /// <summary>If-Match is required (428 without, 412 when stale).</summary>
    public static TicketPrecondition Require(HttpRequest request) => new(ETags.IfMatchOf(request), true);

    internal ProblemDetails? Check(long version) => ETags.Refusal(IfMatch, version, Required);
}

/// <summary>
/// One attempt of a ticket command: the ticket as read, who acts and when, and what the command
/// writes with its change of the ticket — items, other tickets changed with it, or a transfer of
/// content between two tickets. The runner stores it all in one <see cref="ITicketStore"/> call.
/// </summary>
public sealed class TicketCommand
{
    private readonly ITicketStore _store;
    private readonly List<TicketItemWrite> _items = [];
    private readonly List<TicketWrite> _others = [];
    private readonly List<Func<Task>> _compensations = [];

    internal TicketCommand(Ticket ticket, Actor actor, DateTimeOffset now, ITicketStore store)
    {
        Ticket = ticket;
        Actor = actor;
        Now = now;
        _store = store;
    }

    public Ticket Ticket { get; }

    public Actor Actor { get; }

    public DateTimeOffset Now { get; }

    internal Func<CancellationToken, Task>? Transfer { get; private set; }

    /// <summary>An item written with this ticket's change.</summary>
    public void Write(TicketItemWrite item) => _items.Add(item);

    /// <summary>
    /// Another ticket changed by the same command (a timer stopped on it): one transaction with
    /// this ticket on SQLite, committed before it on Cosmos DB.
    /// </summary>
    public void Write(Ticket other, params TicketItemWrite[] items) => _others.Add(new TicketWrite(other, items));

    /// <summary>The command merges this ticket into <paramref name="target"/> (both changed through the aggregate).</summary>
    public void Merge(Ticket target) => Transfer = ct => _store.MergeAsync(Ticket, target, ct);

    /// <summary>The command undoes this ticket's merge into <paramref name="target"/>.</summary>
    public void UndoMerge(Ticket target) => Transfer = ct => _store.UndoMergeAsync(Ticket, target, ct);

    /// <summary>The command moves a message of this ticket to <paramref name="target"/> (a new ticket for a split).</summary>
    public void MoveMessage(Ticket target, string messageId) => Transfer = ct => _store.MoveMessageAsync(Ticket, target, messageId, ct);

    /// <summary>
    /// Something the command wrote outside the ticket store before the save (a published article)
    /// and how to take it back if the save is refused.
    /// </summary>
    public void TakeBackIfRefused(Func<Task> compensation) => _compensations.Add(compensation);

    /// <summary>Another ticket, read for this attempt.</summary>
    public Task<Ticket?> FindAsync(string ticketId, CancellationToken cancellationToken, TicketLookup lookup = TicketLookup.Live) =>
        lookup == TicketLookup.IncludingDeleted ? _store.FindIncludingDeletedAsync(ticketId, cancellationToken) : _store.FindAsync(ticketId, cancellationToken);

    internal async Task SaveAsync(TicketReceipt? receipt, CancellationToken cancellationToken)
    {
        try
        {
            await (Transfer is { } transfer
                ? transfer(cancellationToken)
                : _store.SaveAsync([.. _others, new TicketWrite(Ticket, _items, receipt)], cancellationToken));
        }
        catch
        {
            foreach (var compensation in _compensations)
            {
                await compensation();
            }

            throw;
        }
    }
}

/// <summary>
/// The shape of every ticket-scoped command: load the ticket, check the client's If-Match, let
/// the command change it through one aggregate method (and say which items go with the change),
/// save it all in one store call. A write that lost a race is run again on a fresh read
/// (<see cref="Retries.Write"/>), so every precondition is checked again; a command refuses by
/// returning a problem, which writes nothing. A command run for a request with an
/// Idempotency-Key stores the key's receipt with its change; when an earlier attempt with the key
/// stopped without an answer, a receipt found means the change was made, and it is not made again.
/// </summary>
public sealed class TicketRunner(ITicketStore store, TimeProvider clock, IdempotentRequests requests)
{
    public Task<Outcome<T>> RunAsync<T>(
        string ticketId,
        Actor by,
        TicketPrecondition precondition,
        Func<TicketCommand, Task<Outcome<T>>> command,
        CancellationToken cancellationToken,
        TicketLookup lookup = TicketLookup.Live) =>
        RunAsync(ticketId, by, precondition, command, _ => Problems.AlreadyApplied(), lookup, cancellationToken);

    /// <summary>
    /// The command, or <paramref name="applied"/> of the ticket as it is now when the request's
    /// earlier attempt already made the change (its answer lost).
    /// </summary>
    private Task<Outcome<T>> RunAsync<T>(
        string ticketId,
        Actor by,
        TicketPrecondition precondition,
        Func<TicketCommand, Task<Outcome<T>>> command,
        Func<Ticket, Outcome<T>> applied,
        TicketLookup lookup,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(precondition);
        ArgumentNullException.ThrowIfNull(command);
        var request = requests.Current;
        return Retries.Write.ExecuteAsync(
            async ct =>
            {
                var ticket = await FindAsync(ticketId, lookup, ct);
                if (ticket is null)
                {
                    return Problems.Missing("ticket");
                }

                if (request is { Recovering: true } && await store.FindReceiptAsync(request.ReceiptId, request.At - IdempotentRequest.Retention, ct) is not null)
                {
                    return applied(ticket);
                }

                if (precondition.Check(ticket.Version) is { } refused)
                {
                    return refused;
                }

                var attempt = new TicketCommand(ticket, by, clock.GetUtcNow(), store);
                var outcome = await command(attempt);
                if (outcome.Succeeded)
                {
                    await attempt.SaveAsync(request is null ? null : new TicketReceipt(request.ReceiptId, request.At), ct);
                    request?.MarkCommitted();
                }

                return outcome;
            },
            cancellationToken).AsTask();
    }

    /// <summary>A command that reads nothing more than the ticket.</summary>
    public Task<Outcome<T>> RunAsync<T>(
        string ticketId,
        Actor by,
        TicketPrecondition precondition,
        Func<TicketCommand, Outcome<T>> command,
        CancellationToken cancellationToken,
        TicketLookup lookup = TicketLookup.Live)
    {
        ArgumentNullException.ThrowIfNull(command);
        return RunAsync(ticketId, by, precondition, c => Task.FromResult(command(c)), cancellationToken, lookup);
    }

    /// <summary>
    /// A command on one item of the ticket (a time entry, an activity): the item is read on each
    /// attempt, then refused when missing (404 naming what <paramref name="item"/> is), when the client's
    /// If-Match on the item is stale (or missing and <paramref name="item"/> requires it), or by
    /// <paramref name="refuse"/> (who may change it, given the actor); otherwise <paramref name="change"/> decides.
    /// </summary>
    public Task<Outcome<TResult>> RunOnItemAsync<T, TResult>(
        string ticketId,
        Actor by,
        ItemAddress<T> item,
        Func<Actor, T, ProblemDetails?> refuse,
        Func<TicketCommand, Versioned<T>, Task<Outcome<TResult>>> change,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(refuse);
        ArgumentNullException.ThrowIfNull(change);
        return RunAsync(
            ticketId,
            by,
            TicketPrecondition.None,
            async c =>
            {
                var found = await item.Find(cancellationToken);
                if (found is null)
                {
                    return Problems.Missing(item.What);
                }

                if (ETags.Refusal(item.Precondition.IfMatch, found.Version, item.Precondition.Required) is { } stale)
                {
                    return stale;
                }

                return refuse(c.Actor, found.Value) is { } refused ? refused : await change(c, found);
            },
            cancellationToken);
    }

    /// <summary>
    /// A command that changes only the ticket; its outcome is the ticket as saved (as it is now,
    /// when a retry of the request finds the change already made).
    /// </summary>
    public Task<Outcome<Ticket>> RunAsync(string ticketId, Actor by, TicketPrecondition precondition, Action<TicketCommand> change, CancellationToken cancellationToken) =>
        RunAsync<Ticket>(
            ticketId,
            by,
            precondition,
            c =>
            {
                change(c);
                return Task.FromResult<Outcome<Ticket>>(c.Ticket);
            },
            ticket => ticket,
            TicketLookup.Live,
            cancellationToken);

    /// <summary>Runs <paramref name="write"/> (which draws what it needs, a ticket number) again until it does not lose a race.</summary>
    public static Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken cancellationToken) =>
        Retries.Write.ExecuteAsync(async ct => await write(ct), cancellationToken).AsTask();

    private async Task<Ticket?> FindAsync(string ticketId, TicketLookup lookup, CancellationToken cancellationToken)
    {
        var ticket = lookup == TicketLookup.IncludingDeleted
            ? await store.FindIncludingDeletedAsync(ticketId, cancellationToken)
            : await store.FindAsync(ticketId, cancellationToken);
        return lookup == TicketLookup.FollowMerge && ticket?.MergedIntoId is { } intoId
            ? await store.FindAsync(intoId, cancellationToken)
            : ticket;
    }
}

/// <summary>The item a command works on: what it is called in a 404, how it is read, and the client's If-Match on it.</summary>
public sealed record ItemAddress<T>(string What, Func<CancellationToken, Task<Versioned<T>?>> Find, TicketPrecondition Precondition);

/// <summary>Which ticket a command addressed to an id works on.</summary>
public enum TicketLookup
{
    /// <summary>The ticket, unless it is deleted.</summary>
    Live,

    /// <summary>The ticket even when soft deleted (restore, notifications about it).</summary>
    IncludingDeleted,

    /// <summary>The ticket, or the one it was merged into (merges are one hop, never chains): later messages to a tombstone land on its target.</summary>
    FollowMerge,
}
