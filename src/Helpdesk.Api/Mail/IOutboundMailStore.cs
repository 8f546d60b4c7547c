namespace Helpdesk.Api.Mail;

/// <summary>
/// Where the outbound queue keeps its mail (docs/adr/0006). Every instance sending through the
/// same mailbox must see the same rows: claims are exclusive (a mail is claimed by one caller
/// until its lease ends) and the pacing count covers what every instance sent.
/// </summary>
public interface IOutboundMailStore : Common.IStaleClaims
{
    /// <summary>Stores a mail to send at <paramref name="dueAt"/>; a Message-ID already queued is not queued again.</summary>
    Task EnqueueAsync(EmailMessage message, string mailbox, string? coalesceKey, DateTimeOffset dueAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the due mails, oldest first, each with the pending mails that coalesce with it (due
    /// or not yet), for this process. Claimed mail is hidden until <paramref name="leaseUntil"/>:
    /// after a crash it comes back then, or at once when this host's next process starts.
    /// </summary>
    Task<IReadOnlyList<QueuedMail>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Records on every mail of an attempted group how far the attempt got, before the step that
    /// could deliver it; a mail no longer pending (sent meanwhile by another claimer) is left as it is.
    /// </summary>
    Task RecordHandoffAsync(IReadOnlyList<QueuedMail> group, SendHandoff handoff, CancellationToken cancellationToken);

    /// <summary>How many messages this mailbox sent after <paramref name="since"/>, and when the oldest of them went.</summary>
    Task<(int Count, DateTimeOffset? Oldest)> SentSinceAsync(string mailbox, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>The first mail of a coalesced group is the one sent (as <paramref name="sentAs"/>); the others are merged into it.</summary>
    Task MarkSentAsync(IReadOnlyList<QueuedMail> group, string sentAs, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Puts the mails back for a later attempt at <paramref name="retryAt"/> (or dead-letters them
    /// with the reason when null). <paramref name="refund"/> gives back the attempt: a mail held
    /// back by pacing or throttling did not fail.
    /// </summary>
    Task ReleaseAsync(IReadOnlyList<QueuedMail> group, DateTimeOffset? retryAt, string? reason, bool refund, DateTimeOffset now, CancellationToken cancellationToken);
}
