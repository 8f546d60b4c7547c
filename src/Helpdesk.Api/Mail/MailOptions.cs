namespace Helpdesk.Api.Mail;

/// <summary>
/// The email channel (configuration section <c>Mail</c>): the support mailboxes, how to reach
/// Microsoft Graph, where Graph calls us back, and the limits of the ingestion pipeline.
/// With no mailbox configured the channel is off and its jobs do nothing.
/// </summary>
public sealed class MailOptions
{
    public const string Section = "Mail";

    public List<SupportMailbox> Mailboxes { get; set; } = [];

    public GraphConnection Graph { get; set; } = new();

    /// <summary>
    /// The public URL of <c>POST /api/graph/notifications</c>. Empty in standalone mode without a
    /// public URL: no subscription is made and the delta catch-up on a timer is the only intake.
    /// </summary>
    public string? NotificationUrl { get; set; }

    /// <summary>The public URL of <c>POST /api/graph/lifecycle</c>; defaults to the notification URL's sibling.</summary>
    public string? LifecycleUrl { get; set; }

    /// <summary>How long a subscription lives (Outlook messages: at most 10,080 minutes).</summary>
    public int SubscriptionMinutes { get; set; } = 4200;

    /// <summary>A subscription expiring within this margin is renewed by the next run.</summary>
    public int RenewMarginMinutes { get; set; } = 1440;

    /// <summary>How often the standalone runner renews subscriptions and catches up through delta (polling).</summary>
    public int CatchUpIntervalSeconds { get; set; } = 120;

    /// <summary>How often the standalone runner drains the inbound mail recorded from notifications and delta.</summary>
    public int IngestIntervalSeconds { get; set; } = 5;

    /// <summary>Failed attempts after which an inbound mail goes to the dead-letter state.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Mails taken per ingestion run.</summary>
    public int IngestBatchSize { get; set; } = 100;

    /// <summary>More mails than this from one sender within <see cref="SenderWindowMinutes"/> are quarantined.</summary>
    public int MaxMailsPerSender { get; set; } = 20;

    public int SenderWindowMinutes { get; set; } = 10;

    /// <summary>A local SMTP server to send through when no support mailbox is configured (section <c>Mail:Smtp</c>).</summary>
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>How outbound mail is queued and paced (section <c>Mail:Outbound</c>).</summary>
    public OutboundOptions Outbound { get; set; } = new();

    public string? ResolvedLifecycleUrl =>
        !string.IsNullOrWhiteSpace(LifecycleUrl)
            ? LifecycleUrl
            : NotificationUrl?.Replace("/api/graph/notifications", "/api/graph/lifecycle", StringComparison.Ordinal);

    public SupportMailbox? Find(string mailbox) =>
        Mailboxes.FirstOrDefault(m => string.Equals(m.Id, mailbox, StringComparison.OrdinalIgnoreCase)
            || string.Equals(m.Address, mailbox, StringComparison.OrdinalIgnoreCase));

    public bool IsSupportAddress(string address) =>
        Mailboxes.Any(m => string.Equals(m.Address, address.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>A support mailbox: where mail comes in and what a ticket opened from it gets by default.</summary>
public sealed class SupportMailbox
{
    /// <summary>The Graph user id or user principal name of the mailbox.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Its SMTP address, as customers write to it.</summary>
    public string Address { get; set; } = string.Empty;

    public string Folder { get; set; } = "Inbox";

    public string? DefaultTeamId { get; set; }

    public string? DefaultType { get; set; }

    /// <summary>Mark a mail read once it is ingested.</summary>
    public bool MarkRead { get; set; }

    /// <summary>Move a mail to this folder (id or well-known name) once it is ingested.</summary>
    public string? ProcessedFolder { get; set; }
}

/// <summary>How the app authenticates to Graph.</summary>
public sealed class GraphConnection
{
    /// <summary>Graph's base URL; tests point it at the fake Graph server.</summary>
    public string BaseUrl { get; set; } = "https://graph.microsoft.com/v1.0";

    /// <summary><c>managedIdentity</c> (Azure), <c>clientSecret</c> (an app registration), or <c>none</c> (the fake Graph only).</summary>
    public string Authentication { get; set; } = "managedIdentity";

    public string? TenantId { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }
}

/// <summary>
/// Outbound pacing. Graph accepts per mailbox 30 sent messages a minute and 4 concurrent requests;
/// the queue stays within both and honours Retry-After when Graph still throttles.
/// </summary>
public sealed class OutboundOptions
{
    /// <summary>A mail about a ticket waits this long, so a burst of updates to the same recipients goes out as one message.</summary>
    public int CoalesceSeconds { get; set; } = 30;

    public int MessagesPerMinute { get; set; } = 30;

    public int ConcurrentSends { get; set; } = 4;

    /// <summary>How often the standalone runner drains the queue.</summary>
    public int IntervalSeconds { get; set; } = 5;

    /// <summary>Failed attempts (throttling aside) after which a mail is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 8;
}
