using System.Globalization;
using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>
/// What erasing a person changes on one ticket: the contact erased, the pseudonym that stands for
/// them from now on, and how many of the ticket's messages (written by them or copying them) and files (sent by them) were erased with it.
/// </summary>
public sealed record PersonErasure(string ContactId, string Pseudonym, string PseudonymEmail, int Messages, int Attachments);

/// <summary>
/// GDPR erasure on the ticket: the requester copied on it becomes the pseudonym, and the
/// description (the requester's own words when the ticket came from them, and about them
/// otherwise) is replaced. The history keeps that it happened, never the erased values.
/// </summary>
public sealed partial class Ticket
{
    /// <summary>What an erased text reads from now on.</summary>
    public const string ErasedText = "[erased]";

    public const string PersonalDataErasedAction = "personalDataErased";

    /// <summary>
    /// Records the erasure of a person on this ticket (the messages and files counted in
    /// <paramref name="erasure"/> are written with it). False when nothing was left to erase:
    /// erasing twice records nothing.
    /// </summary>
    public bool ErasePerson(PersonErasure erasure, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(erasure);
        ArgumentException.ThrowIfNullOrWhiteSpace(erasure.ContactId);
        var changes = new List<FieldChange>();
        var after = _state;
        if (_state.Requester is { } requester && requester.ContactId == erasure.ContactId)
        {
            if (requester.Email != erasure.PseudonymEmail || requester.Name != erasure.Pseudonym)
            {
                after = after with { Requester = new Requester(requester.ContactId, erasure.PseudonymEmail, erasure.Pseudonym) };
                changes.Add(new FieldChange("requester", ErasedText, erasure.Pseudonym));
            }

            if (_state.Description is not null && _state.Description != ErasedText)
            {
                after = after with { Description = ErasedText };
                changes.Add(new FieldChange("description", null, ErasedText));
            }
        }

        if (erasure.Messages > 0)
        {
            changes.Add(new FieldChange("messages", null, erasure.Messages.ToString(CultureInfo.InvariantCulture)));
        }

        if (erasure.Attachments > 0)
        {
            changes.Add(new FieldChange("attachments", null, erasure.Attachments.ToString(CultureInfo.InvariantCulture)));
        }

        if (changes.Count == 0)
        {
            return false;
        }

        _state = after;
        Record(
            PersonalDataErasedAction,
            TicketEventTypes.PersonalDataErased,
            by,
            now,
            changes,
            note: "Personal data of a contact erased (GDPR).",
            ("contactId", erasure.ContactId),
            ("pseudonym", erasure.Pseudonym),
            ("messages", erasure.Messages.ToString(CultureInfo.InvariantCulture)),
            ("attachments", erasure.Attachments.ToString(CultureInfo.InvariantCulture)));
        return true;
    }
}
