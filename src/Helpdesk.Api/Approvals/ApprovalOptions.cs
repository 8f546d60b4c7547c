namespace Helpdesk.Api.Approvals;

public sealed class ApprovalOptions
{
    public const string Section = "Approvals";

    /// <summary>
    /// The HMAC key of the approve and reject links: base64 of at least 32 bytes, or <c>auto</c>
    /// (a random key kept in the data folder, for a single standalone instance). Several
    /// instances, as in Azure, need one configured key (a Key Vault reference).
    /// </summary>
    public string SigningKey { get; set; } = "auto";

    /// <summary>The public origin the links in emails start with (e.g. https://helpdesk.contoso.com); empty = relative links.</summary>
    public string LinkBaseUrl { get; set; } = string.Empty;

    /// <summary>How long a step waits before its pending approvers get one reminder.</summary>
    public int ReminderAfterHours { get; set; } = 24;

    /// <summary>How long an approval (and its links) can be answered before it expires.</summary>
    public int ExpiresAfterHours { get; set; } = 168;

    public TimeSpan ReminderAfter => TimeSpan.FromHours(ReminderAfterHours);

    public TimeSpan ExpiresAfter => TimeSpan.FromHours(ExpiresAfterHours);
}
