using System.Globalization;
using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>
/// How a ticket was merged into another: the target, when (the undo window runs from there) and
/// the status and end date it had, which an undo gives back.
/// </summary>
public sealed record TicketMerge(string IntoId, DateTimeOffset At, TicketStatus PreviousStatus, DateTimeOffset? PreviousEndAt);

/// <summary>The event types of merging and deleting tickets.</summary>
public static class TicketRemovalEventTypes
{
    /// <summary>This ticket became a tombstone pointing to <c>intoId</c>.</summary>
    public const string Merged = "ticket.merged";

    /// <summary>Another ticket (<c>fromId</c>) was merged into this one.</summary>
    public const string MergedIn = "ticket.mergedIn";

    public const string MergeUndone = "ticket.mergeUndone";
    public const string Deleted = "ticket.deleted";
    public const string Restored = "ticket.restored";
}

/// <summary>
/// Merging and soft deletion. A merged ticket is a closed tombstone pointing to the ticket that
/// absorbed it; merges are one hop only (no ticket merges into a tombstone, and a ticket that
/// absorbed others cannot itself be merged), so whatever is addressed to a tombstone lands on
/// its target in one step. A deleted ticket keeps its data until restored or purged.
/// </summary>
public sealed partial class Ticket
{
    /// <summary>The ticket this one was merged into, while the merge stands.</summary>
    public string? MergedIntoId => _state.MergedInto?.IntoId;

    public TicketMerge? MergedInto => _state.MergedInto;

    /// <summary>The tickets merged into this one (and not undone).</summary>
    public IReadOnlyList<string> MergedFromIds => _state.MergedFromIds ?? [];

    public DateTimeOffset? DeletedAt => _state.DeletedAt;

    public bool IsDeleted => _state.DeletedAt is not null;

    /// <summary>
    /// Merges this ticket into <paramref name="target"/>: this one becomes a closed tombstone
    /// pointing to the target, the target records what it absorbed. Both get a history entry and an event.
    /// </summary>
    public void MergeInto(Ticket target, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Id == Id)
        {
            throw new DomainRuleException("merge-into-self", "A ticket cannot be merged into itself.");
        }

        if (MergedIntoId is not null)
        {
            throw new DomainRuleException("already-merged", $"Ticket {Number} is already merged into another ticket.");
        }

        if (target.MergedIntoId is not null)
        {
            throw new DomainRuleException("merge-into-tombstone", $"Ticket {target.Number} was merged into another ticket: merge into that one instead.");
        }

        if (MergedFromIds.Count > 0)
        {
            throw new DomainRuleException("merge-chain", $"Other tickets were merged into {Number}; merging it on would make a chain. Merge {target.Number} into it instead.");
        }

        EnsureNotClosed();
        target.EnsureNotClosed();

        var from = Status;
        var endAt = EndAt;
        _state = _state with
        {
            Status = TicketStatus.Closed,
            EndAt = endAt ?? now,
            MergedInto = new TicketMerge(target.Id, now, from, endAt),
        };
        List<FieldChange> changes =
        [
            new("status", Names.Of(from), Names.Of(TicketStatus.Closed)),
            new("mergedIntoId", null, target.Id),
        ];
        if (endAt is null)
        {
            changes.Add(new FieldChange("endAt", null, Format(now)));
        }

        Record("merged", TicketRemovalEventTypes.Merged, by, now, changes, $"Merged into {target.Number}.", ("intoId", target.Id), ("intoNumber", target.Number), ("from", Names.Of(from)));

        target.RecordMergedIn(this, by, now);
    }

    /// <summary>
    /// The target's side of <see cref="MergeInto"/>: records that <paramref name="source"/> was
    /// merged into this ticket. A store that writes the two tickets one after the other applies it
    /// again to a target that moved on meanwhile; applying it twice changes nothing.
    /// </summary>
    public void RecordMergedIn(Ticket source, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (MergedFromIds.Contains(source.Id))
        {
            return;
        }

        _state = _state with { MergedFromIds = [.. MergedFromIds, source.Id] };
        Record(
            "mergedIn",
            TicketRemovalEventTypes.MergedIn,
            by,
            now,
            [new FieldChange("mergedFrom", null, source.Id)],
            $"{source.Number} was merged into this ticket.",
            ("fromId", source.Id),
            ("fromNumber", source.Number));
    }

    /// <summary>
    /// Undoes the merge of this tombstone into <paramref name="target"/> within
    /// <paramref name="window"/> of the merge: this ticket gets its status and end date back.
    /// </summary>
    public void UndoMerge(Ticket target, TimeSpan window, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        var merge = _state.MergedInto ?? throw new DomainRuleException("not-merged", $"Ticket {Number} is not merged into another ticket.");
        if (merge.IntoId != target.Id)
        {
            throw new ArgumentException("The target is not the ticket this one was merged into.", nameof(target));
        }

        if (now - merge.At > window)
        {
            throw new DomainRuleException(
                "merge-undo-expired",
                string.Create(CultureInfo.InvariantCulture, $"A merge can be undone for {window.TotalMinutes} minutes; this one was made at {Format(merge.At)}."));
        }

        _state = _state with { Status = merge.PreviousStatus, EndAt = merge.PreviousEndAt, MergedInto = null };
        Record(
            "mergeUndone",
            TicketRemovalEventTypes.MergeUndone,
            by,
            now,
            [
                new FieldChange("status", Names.Of(TicketStatus.Closed), Names.Of(merge.PreviousStatus)),
                new FieldChange("mergedIntoId", target.Id, null),
            ],
            $"The merge into {target.Number} was undone.",
            ("intoId", target.Id),
            ("fromId", Id));

        target.RecordMergeUndone(this, by, now);
    }

    /// <summary>
    /// The target's side of <see cref="UndoMerge"/>: <paramref name="source"/> is no longer merged
    /// into this ticket. Applying it twice changes nothing, like <see cref="RecordMergedIn"/>.
    /// </summary>
    public void RecordMergeUndone(Ticket source, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!MergedFromIds.Contains(source.Id))
        {
            return;
        }

        _state = _state with { MergedFromIds = [.. MergedFromIds.Where(id => id != source.Id)] };
        Record(
            "mergeUndone",
            TicketRemovalEventTypes.MergeUndone,
            by,
            now,
            [new FieldChange("mergedFrom", source.Id, null)],
            $"The merge of {source.Number} into this ticket was undone.",
            ("intoId", Id),
            ("fromId", source.Id));
    }

    /// <summary>Soft delete: the ticket vanishes from every view until restored (or purged).</summary>
    public void Delete(Actor by, DateTimeOffset now)
    {
        if (IsDeleted)
        {
            return;
        }

        _state = _state with { DeletedAt = now };
        Record("deleted", TicketRemovalEventTypes.Deleted, by, now, [new FieldChange("deletedAt", null, Format(now))], note: null);
    }

    public void Restore(Actor by, DateTimeOffset now)
    {
        if (!IsDeleted)
        {
            throw new DomainRuleException("not-deleted", $"Ticket {Number} is not deleted.");
        }

        var deletedAt = DeletedAt;
        _state = _state with { DeletedAt = null };
        Record("restored", TicketRemovalEventTypes.Restored, by, now, [new FieldChange("deletedAt", Format(deletedAt), null)], note: null);
    }
}
