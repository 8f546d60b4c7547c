namespace Helpdesk.Domain.Tickets;

/// <summary>The contact a ticket is for, copied on the ticket so lists never need a join.</summary>
public sealed record Requester(string ContactId, string Email, string? Name);
