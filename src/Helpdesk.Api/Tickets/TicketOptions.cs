using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tickets;

/// <summary>Ticket settings (configuration section <c>Tickets</c>).</summary>
public sealed class TicketOptions
{
    public const string Section = "Tickets";

    public string NumberPrefix { get; set; } = "HD";
    public int NumberPadding { get; set; } = 5;
    public bool NumberYearlyReset { get; set; } = true;

    public bool AutoMarkReadWhenCreatedByAgent { get; set; } = true;
    public bool AutoAssignToCreator { get; set; }
    public bool AllowReclassifyClosed { get; set; }

    /// <summary>How long after a merge it can be undone.</summary>
    public int MergeUndoMinutes { get; set; } = 30;

    /// <summary>
    /// The first values of the admin-owned lists of FEATURES.md §1 (<see cref="TicketLists"/>): once an
    /// admin saves a list through <c>PUT /api/lists/{name}</c>, the saved one applies. An empty list accepts any value.
    /// </summary>
    public List<string> Types { get; set; } = [];
    public List<string> Groups { get; set; } = [];
    public List<string> Severities { get; set; } = [];
    public List<string> Impacts { get; set; } = [];
    public List<string> Channels { get; set; } = [];

    public TicketNumberFormat NumberFormat => new(NumberPrefix, NumberPadding, NumberYearlyReset);

    public TicketSettings Settings => new()
    {
        AutoMarkReadWhenCreatedByAgent = AutoMarkReadWhenCreatedByAgent,
        AutoAssignToCreator = AutoAssignToCreator,
        AllowReclassifyClosed = AllowReclassifyClosed,
    };
}
