using Helpdesk.Domain.Common;
using Helpdesk.Domain.Knowledge;

namespace Helpdesk.Domain.Tickets;

public static class ResolutionEventTypes
{
    /// <summary>The resolution record was written; <c>emailContact</c> asks the notification pipeline to send it to the requester.</summary>
    public const string Recorded = "ticket.resolutionRecorded";
}

/// <summary>The resolution record is written through the ticket, so its history and event go with it; a closed ticket is read-only.</summary>
public sealed partial class Ticket
{
    public void RecordResolution(Resolution? before, Resolution after, bool emailContact, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(after);
        EnsureNotClosed();
        List<FieldChange> changes = [];
        if (before?.Details != after.Details)
        {
            changes.Add(new FieldChange("resolutionDetails", before?.Details, after.Details));
        }

        if (before?.ArticleId != after.ArticleId)
        {
            changes.Add(new FieldChange("knowledgeArticleId", before?.ArticleId, after.ArticleId));
        }

        if (changes.Count == 0 && !emailContact)
        {
            return;
        }

        Record(
            "resolutionRecorded",
            ResolutionEventTypes.Recorded,
            by,
            now,
            changes,
            emailContact ? "Emailed to the contact." : null,
            ("articleId", after.ArticleId),
            ("emailContact", emailContact ? "true" : "false"),
            ("contactEmail", emailContact ? Requester.Email : null),
            ("details", emailContact ? after.Details : null));
    }
}
