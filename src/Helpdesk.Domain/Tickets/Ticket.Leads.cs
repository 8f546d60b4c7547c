using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

public static class LeadEventTypes
{
    /// <summary>The ticket's lead requester became a contact; data: leadId, contactId, accountId.</summary>
    public const string Converted = "ticket.leadConverted";
}

/// <summary>
/// A lead becoming a contact keeps its tickets: each one's requester moves to the contact through
/// the ticket, with its history entry and event, on closed tickets too (it is a fact about the
/// person, not work on the ticket). A ticket without an account takes the contact's.
/// </summary>
public sealed partial class Ticket
{
    public void ConvertLeadRequester(string leadId, Requester contact, string? accountId, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(contact);
        if (Requester is not { Lead: true } lead || lead.ContactId != leadId)
        {
            throw new DomainRuleException("not-lead-requester", "The ticket's requester is not this lead.");
        }

        if (contact.Lead)
        {
            throw new ArgumentException("A lead converts into a contact.", nameof(contact));
        }

        List<FieldChange> changes = [new FieldChange("contactId", leadId, contact.ContactId)];
        var account = AccountId ?? accountId;
        if (account != AccountId)
        {
            changes.Add(new FieldChange("accountId", AccountId, account));
        }

        _state = _state with { Requester = contact, AccountId = account };
        Record(
            "leadConverted",
            LeadEventTypes.Converted,
            by,
            now,
            changes,
            null,
            ("leadId", leadId),
            ("contactId", contact.ContactId),
            ("accountId", account));
    }
}
