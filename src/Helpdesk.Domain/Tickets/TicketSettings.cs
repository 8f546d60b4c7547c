namespace Helpdesk.Domain.Tickets;

/// <summary>The ticket settings of FEATURES.md §1.</summary>
public sealed record TicketSettings
{
    /// <summary>A ticket an agent creates starts as read (open) rather than new.</summary>
    public bool AutoMarkReadWhenCreatedByAgent { get; init; } = true;

    /// <summary>A ticket an agent creates without an assignee is assigned to that agent.</summary>
    public bool AutoAssignToCreator { get; init; }

    /// <summary>Type, group and severity of a closed ticket may still change (reporting corrections).</summary>
    public bool AllowReclassifyClosed { get; init; }

    public static TicketSettings Default { get; } = new();
}
