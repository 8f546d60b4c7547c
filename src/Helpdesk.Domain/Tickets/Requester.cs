namespace Helpdesk.Domain.Tickets;

/// <summary>
/// The person a ticket is for, copied on the ticket so lists never need a join: a contact, or a
/// lead (<see cref="Lead"/>: someone not yet a customer, whose id <see cref="ContactId"/> then
/// holds) until the lead is converted into a contact.
/// </summary>
public sealed record Requester(string ContactId, string Email, string? Name, bool Lead = false);
