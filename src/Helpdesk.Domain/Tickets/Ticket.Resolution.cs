using Helpdesk.Domain.Common;
using Helpdesk.Domain.Knowledge;

namespace Helpdesk.Domain.Tickets;

public static class ResolutionEventTypes
{
    /// <summary>The resolution record was written; <c>emailContact</c> asks the notification pipeline to send it to the requester.</summary>
    public const string Recorded = "ticket.resolutionRecorded";
}

/// <summary>
/// The resolution record is written through the ticket, so its history and event go with it.
/// It is the one thing a closed ticket still takes: agents document how a case was solved once
/// it is over (and correct it later), so the record is written or corrected after closing too.
/// </summary>
public sealed partial class Ticket
{
    public void RecordResolution(Resolution? before, Resolution after, bool emailContact, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(after);
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
            ("contactEmail", emailContact ? Requester?.Email : null),
            ("details", emailContact ? after.Details : null));
    }
}
