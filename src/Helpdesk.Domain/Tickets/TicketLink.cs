namespace Helpdesk.Domain.Tickets;

/// <summary>
/// A reference to a record of the customer's other systems (a project, a contract): its id
/// there and the label agents know it by, from the customer-context provider or typed by hand.
/// </summary>
public sealed record TicketLink(string Id, string Label)
{
    public const int MaxIdLength = 100;
    public const int MaxLabelLength = 200;

    /// <summary>How the history shows it: <c>label (id)</c>.</summary>
    public static string? Describe(TicketLink? link) => link is null ? null : $"{link.Label} ({link.Id})";
}
