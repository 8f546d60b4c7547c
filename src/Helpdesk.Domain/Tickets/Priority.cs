namespace Helpdesk.Domain.Tickets;

/// <summary>Ordered from the most to the least pressing; the numeric order is used to compare.</summary>
public enum Priority
{
    Urgent = 0,
    High = 1,
    Normal = 2,
    Low = 3,
}
