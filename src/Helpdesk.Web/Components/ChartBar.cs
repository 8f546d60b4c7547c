namespace Helpdesk.Web.Components;

/// <summary>One bar of a <see cref="BarChart"/>: what it counts, in the reader's language, and how many.</summary>
public sealed record ChartBar(string Label, int Value);
