using Helpdesk.Api.Conversation;
namespace Helpdesk.Api.Mail;

/// <summary>A Graph subscription the app holds for a support mailbox, with the secret Graph echoes back.</summary>
public sealed record MailSubscription(string Mailbox, string SubscriptionId, string ClientState, DateTimeOffset ExpiresAt, bool ReauthorizeRequested);

/// <summary>What became of an inbound mail. Pending mail is waiting for (another) ingestion attempt.</summary>
public static class InboundStates
{
    public const string Pending = "pending";
    public const string Done = "done";
    public const string Filtered = "filtered";
    public const string Duplicate = "duplicate";
    public const string Gone = "gone";
    public const string Quarantined = "quarantined";
    public const string Dropped = "dropped";
    public const string Dead = "dead";
}

/// <summary>One mail Graph told us about (notification or delta), claimed for ingestion.</summary>
public sealed record InboundMail(long Seq, string Mailbox, string GraphId, int Attempts, bool Released);

/// <summary>How an inbound mail ended, as listed to supervisors and admins.</summary>
public sealed record InboundMailView(
    long Id,
    string Mailbox,
    string GraphId,
    string State,
    string? Reason,
    string? From,
    string? Subject,
    string? InternetMessageId,
    string? TicketId,
    string? ThreadedBy,
    int Attempts,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ProcessedAt);

/// <summary>
/// The Graph subscriptions the app holds per support mailbox (docs/adr/0006). The email channel's
/// shared state is split by what its callers need — subscriptions, the inbound journal, the
/// threading ids — and every instance of the app must see the same state, so on Cosmos DB it
/// lives there; one store per engine implements the three.
/// </summary>
public interface IMailSubscriptions
{
    Task<IReadOnlyList<MailSubscription>> SubscriptionsAsync(CancellationToken cancellationToken);

    Task<MailSubscription?> FindSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken);

    /// <summary>The mailbox's one subscription, created or replaced.</summary>
    Task SaveSubscriptionAsync(MailSubscription subscription, CancellationToken cancellationToken);

    Task RemoveSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken);

    /// <summary>Asks the next renewal run to reauthorize the subscription (a <c>reauthorizationRequired</c> lifecycle event).</summary>
    Task RequestReauthorizationAsync(string subscriptionId, CancellationToken cancellationToken);
}

/// <summary>
/// The inbound mail journal: the durable record of every mail Graph told us about (notification
/// or delta), its attempts and its outcome, and the delta links to resume from.
/// </summary>
public interface IMailJournal : Common.IStaleClaims
{
    /// <summary>Records notified mail for ingestion; a mail already recorded (a repeated notification, or seen by delta) is not added again.</summary>
    Task<int> RecordNotifiedAsync(IReadOnlyList<(string Mailbox, string GraphId)> mails, DateTimeOffset now, CancellationToken cancellationToken);

    Task<string?> DeltaLinkAsync(string mailbox, CancellationToken cancellationToken);

    /// <summary>
    /// Records the mail a delta round found, then the link to resume from: a crash before the
    /// link is stored repeats the round (its mail is not added twice), never skips it.
    /// </summary>
    Task<int> RecordDeltaAsync(string mailbox, IReadOnlyList<string> graphIds, string deltaLink, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="limit"/> due mails for one attempt each, each mail by one caller
    /// only. A claimed mail is hidden until <paramref name="leaseUntil"/>: if the process dies
    /// mid-way, it comes back then.
    /// </summary>
    Task<IReadOnlyList<InboundMail>> ClaimAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int limit, CancellationToken cancellationToken);

    /// <summary>A failed attempt: due again at <paramref name="retryAt"/>, or dead-lettered with the reason when <paramref name="retryAt"/> is null.</summary>
    Task FailAsync(long seq, string reason, DateTimeOffset? retryAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Ends a mail's ingestion without a ticket write (filtered, duplicate, gone, quarantined).</summary>
    Task SettleAsync(long seq, InboundOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Puts a claimed mail back, due again at <paramref name="retryAt"/>, without counting the
    /// attempt: it waited for another mail of its conversation (<see cref="IMailThreadIds.LeaseAsync"/>)
    /// and did nothing.
    /// </summary>
    Task PutBackAsync(long seq, string reason, DateTimeOffset retryAt, CancellationToken cancellationToken);

    /// <summary>
    /// Takes this mail in as one from <paramref name="from"/> and counts the others from that
    /// sender taken in since <paramref name="since"/> (the burst breaker's count); mails ingested
    /// in parallel count each other.
    /// </summary>
    Task<int> TakeInFromSenderAsync(long seq, string from, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Ends a mail's ingestion and remembers its Message-ID for the ticket.</summary>
    Task CompleteAsync(long seq, InboundOutcome outcome, MessageIdRecord? record, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The journal's mails in a state, newest first, before journal row <paramref name="before"/>.</summary>
    Task<IReadOnlyList<InboundMailView>> ListAsync(string state, int limit, long? before, CancellationToken cancellationToken);

    Task<InboundMailView?> FindAsync(long id, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a mail from <paramref name="from"/> to pending again (release from quarantine,
    /// re-drive a dead letter) or to dropped. False when the mail is not in that state (any more).
    /// </summary>
    Task<bool> MoveAsync(long id, string from, string to, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every journal row of mail from <paramref name="address"/> (compared case-insensitively), oldest first: what a contact's export shows of their mail.</summary>
    Task<IReadOnlyList<InboundMailView>> FromSenderAsync(string address, CancellationToken cancellationToken);

    /// <summary>
    /// Erasure of a person: every row of mail from <paramref name="address"/> gets
    /// <paramref name="pseudonym"/> as its sender, loses its subject, and the address is replaced
    /// in its reason. Returns how many rows changed; a second call changes none.
    /// </summary>
    Task<int> ForgetSenderAsync(string address, string pseudonym, CancellationToken cancellationToken);
}

/// <summary>
/// The Message-IDs the helpdesk received or sent per ticket, which both deduplicate and thread,
/// and the secret that signs reply tokens.
/// </summary>
public interface IMailThreadIds : IMessageSubjects
{
    /// <summary>The installation's secret for signing reply tokens, drawn once.</summary>
    Task<byte[]> SecretAsync(CancellationToken cancellationToken);

    /// <summary>The mails of a ticket's thread the helpdesk received or sent, oldest first.</summary>
    Task<IReadOnlyList<ThreadMail>> ThreadOfAsync(string ticketId, CancellationToken cancellationToken);

    /// <summary>
    /// Takes this mailbox's Message-ID (the per-mailbox deduplication key) for the mail of
    /// <paramref name="record"/> before anything of it is written: null when the mail holds it (now,
    /// or since an earlier attempt of its own), else the Graph id of the mail that took it first,
    /// which makes this one its duplicate. Of two copies ingested in parallel exactly one holds
    /// it, and only the holder may finish an interrupted attempt's ticket write.
    /// </summary>
    Task<string?> TakeAsync(MessageIdRecord record, long seq, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Leases the keys of a mail's conversation (<see cref="MailConversationLocks.KeysOf"/>) in
    /// this mailbox to journal mail <paramref name="seq"/>, held by this process until
    /// <paramref name="until"/>: each lease is created if absent. Null when the mail holds them
    /// all (its own lease from an earlier attempt, an expired one, or one of a mail that settled
    /// is taken over); else the journal seq of the other mail, not settled, that holds one, and
    /// this mail then holds none. Instances sharing the store take a conversation's mails one at a
    /// time this way, as <see cref="MailConversationLocks"/> does within a process (docs/adr/0006).
    /// </summary>
    Task<long?> LeaseAsync(string mailbox, IReadOnlyList<string> keys, long seq, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Gives up the leases journal mail <paramref name="seq"/> holds on these keys (another mail's stay).</summary>
    Task ReleaseLeasesAsync(string mailbox, IReadOnlyList<string> keys, long seq, CancellationToken cancellationToken);

    /// <summary>The ticket of the first of these Message-IDs (in the order given) that the helpdesk sent or received.</summary>
    Task<string?> TicketOfMessageIdsAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken);

    /// <summary>
    /// The ticket of a mail taken in earlier that names this Message-ID in its In-Reply-To or
    /// References (<see cref="MessageIdRecord.Cites"/>): the mail with this Message-ID is the
    /// original of a reply that arrived first, and joins that reply's ticket.
    /// </summary>
    Task<string?> TicketCitingAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken);

    /// <summary>The ticket the latest mail of this Graph conversation went to (a weak hint only).</summary>
    Task<string?> TicketOfConversationAsync(string conversationId, CancellationToken cancellationToken);

    /// <summary>
    /// The Message-IDs of this mailbox's mails still being taken in (<c>taking</c>: their ingestion
    /// has not settled, maybe because a crash stopped it after their ticket write) that cite
    /// <paramref name="internetMessageId"/> in their In-Reply-To or References, oldest first.
    /// </summary>
    Task<IReadOnlyList<string>> TakingCitingAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken);

    /// <summary>The Message-IDs of this mailbox's mails of a Graph conversation still being taken in (<c>taking</c>), oldest first.</summary>
    Task<IReadOnlyList<string>> TakingInConversationAsync(string mailbox, string conversationId, CancellationToken cancellationToken);

    /// <summary>
    /// The ticket holding a conversation message with this id, if it was stored. Inbound mail
    /// derives its message id from its Message-ID, so a retry after a crash finds its own message here.
    /// </summary>
    Task<string?> TicketOfStoredMessageAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Remembers the Message-ID of a mail the helpdesk sent for a ticket, so a reply to it threads.</summary>
    Task RecordSentAsync(MessageIdRecord record, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>The end of one mail's ingestion as recorded on its journal row.</summary>
public sealed record InboundOutcome(
    string State,
    string? Reason = null,
    string? From = null,
    string? Subject = null,
    string? InternetMessageId = null,
    string? TicketId = null,
    string? ThreadedBy = null);

/// <summary>
/// A Message-ID the helpdesk received (<c>in</c>) or sent (<c>out</c>) for a ticket. A received
/// mail <see cref="Cites"/> the Message-IDs of its In-Reply-To and References: each not known yet
/// is remembered as <c>cited</c> by the ticket, so its original, arriving late, joins that ticket
/// (and a second reply to it too); a <c>cited</c> record becomes <c>taking</c>, then <c>in</c>,
/// when that original is taken in, and keeps the citing ticket meanwhile.
/// </summary>
public sealed record MessageIdRecord(string MessageId, string Mailbox, string TicketId, string Direction, string? GraphId, string? ConversationId, IReadOnlyList<string>? Cites = null)
{
    public const string In = "in";
    public const string Out = "out";
    public const string Cited = "cited";

    /// <summary>
    /// Held by a mail being taken in (<see cref="IMailThreadIds.TakeAsync"/>), with its Graph
    /// conversation and the ids it cites; <c>in</c> once its ticket write is settled.
    /// </summary>
    public const string Taking = "taking";
}

/// <summary>One mail of a ticket's thread: its Message-ID, the mailbox, <c>in</c> or <c>out</c>, and the Graph id of a received one (never a <c>cited</c> id no mail of the thread had).</summary>
public sealed record ThreadMail(string MessageId, string Mailbox, string Direction, string? GraphId);
