namespace Helpdesk.Web.Components;

/// <summary>
/// One bar of a <see cref="BarChart"/>: what it counts, in the reader's language, and how many;
/// <paramref name="Text"/> writes the value another way (hours for minutes, a percentage) when a plain count would mislead.
/// </summary>
public sealed record ChartBar(string Label, int Value, string? Text = null);
