using FluentValidation;
using Helpdesk.Api.Directory;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// Who is told about what: for one trigger (see <see cref="NotificationTriggers"/>), the
/// recipients (see <see cref="NotificationRecipients"/>). Admins edit the rules.
/// </summary>
public sealed record NotificationRule(string Trigger, IReadOnlyList<string> Recipients, bool Enabled);

/// <summary>
/// The notification settings of FEATURES.md §12: sender, the address told of every new ticket,
/// header and footer of every email, when the customer hears from us, and the rules.
/// <see cref="Language"/> is the language of tickets whose requester has none (en when unset);
/// <see cref="TicketLinkBase"/>, when set, makes <c>{{ticket.link}}</c> (the base, a slash, the ticket id).
/// <see cref="CustomerStatusEmails"/>: the statuses a ticket moving into emails its customer about
/// (<see cref="StatusChangeStatuses"/>; resolved and closed have their own emails).
/// </summary>
public sealed record NotificationSettings(
    string Id,
    string SenderAddress,
    string? SenderName,
    string? NewTicketAddress,
    string? Header,
    string? Footer,
    bool NotifyCustomerOnCreation,
    bool NotifyCustomerOnClosing,
    IReadOnlyList<NotificationRule> Rules,
    string? Language = null,
    string? TicketLinkBase = null,
    IReadOnlyList<string>? CustomerStatusEmails = null)
{
    /// <summary>The statuses a customer can be emailed about entering; resolved and closed have their own emails.</summary>
    public static readonly IReadOnlyList<string> StatusChangeStatuses = ["open", "assigned", "inProgress", "waitingOnCustomer"];

    /// <summary>
    /// The enabled rules of a trigger. Settings saved before a trigger existed (status-change
    /// emails, internal notes, intervention reports) have no rule for it: its default rule applies (for status changes
    /// and intervention reports the customer, so the admin's status list alone decides; for notes the agents they name).
    /// </summary>
    public IEnumerable<NotificationRule> RulesFor(string trigger) =>
        NotificationTriggers.AddedLater.Contains(trigger) && !Rules.Any(r => r.Trigger == trigger)
            ? NotificationDefaults.Settings.Rules.Where(r => string.Equals(r.Trigger, trigger, StringComparison.Ordinal))
            : Rules.Where(r => r.Enabled && string.Equals(r.Trigger, trigger, StringComparison.Ordinal));

    /// <summary>Whether the admin enabled customer emails for tickets entering <paramref name="status"/>.</summary>
    public bool EmailsCustomerOn(string? status) =>
        status is not null && (CustomerStatusEmails ?? []).Contains(status, StringComparer.Ordinal);
}

public enum DigestFrequency
{
    Off,
    Hourly,
    Daily,
}

/// <summary>
/// An agent's own choices: everything muted, some triggers muted, or a digest instead of one email
/// each; and the number (E.164, <c>+</c> and digits) their <c>sms</c> reminders are sent to.
/// </summary>
public sealed record NotificationPreferences(string Id, bool Muted, IReadOnlyList<string> MutedTriggers, DigestFrequency Digest, string? SmsNumber = null)
{
    public static NotificationPreferences Default(string agentId) => new(agentId, false, [], DigestFrequency.Off);

    public bool Mutes(string trigger) => Muted || MutedTriggers.Contains(trigger, StringComparer.Ordinal);
}

/// <summary>The events a rule can react to. Most are event types; a message event splits into who wrote it.</summary>
public static class NotificationTriggers
{
    public const string TicketCreated = "ticket.created";
    public const string TicketAssigned = "ticket.assigned";
    public const string TicketEscalated = "ticket.escalated";
    public const string TicketResolved = "ticket.resolved";
    public const string TicketClosed = "ticket.closed";
    public const string PublicReply = "message.publicReply";
    public const string CustomerMessage = "message.customer";
    public const string SlaWarning = "sla.warning";
    public const string SlaBreached = "sla.breached";
    public const string SlaEscalated = "sla.escalated";
    public const string ApprovalRequested = "approval.requested";
    public const string ApprovalDecided = "approval.decided";
    public const string ActivityReminder = "activity.reminder";

    /// <summary>An internal note was added: staff only, never the customer (by default the agents it @mentions or copies).</summary>
    public const string InternalNote = "message.internalNote";

    /// <summary>A satisfaction survey was made for a resolved ticket: its signed link goes to the requester.</summary>
    public const string SurveyRequested = "satisfaction.surveyRequested";

    /// <summary>A resolution record was written; only when it asks (<c>emailContact</c>) is it sent to the requester.</summary>
    public const string ResolutionRecorded = "ticket.resolutionRecorded";

    /// <summary>An on-site intervention was completed: its report goes to the requester (as the ticket's notify flag allows).</summary>
    public const string InterventionCompleted = "ticket.interventionCompleted";

    /// <summary>
    /// A ticket's status changed (any event carrying <c>statusTo</c>, beside its own trigger): the
    /// customer hears of it only for the statuses the settings list in <c>customerStatusEmails</c>.
    /// </summary>
    public const string StatusChanged = "ticket.statusChanged";

    /// <summary>The events that can change a ticket's status without a trigger of their own.</summary>
    public static readonly IReadOnlyList<string> StatusEvents = ["ticket.read", "ticket.started", "ticket.waiting", "ticket.reopened", "ticket.updated"];

    /// <summary>The conversation's event type; its <c>visibility</c> and <c>authorType</c> pick the trigger.</summary>
    public const string MessageAddedEvent = "ticket.messageAdded";

    public static readonly IReadOnlyList<string> All =
    [
        TicketCreated, TicketAssigned, TicketEscalated, TicketResolved, TicketClosed, PublicReply, CustomerMessage,
        SlaWarning, SlaBreached, SlaEscalated, ApprovalRequested, ApprovalDecided, ActivityReminder,
        SurveyRequested, ResolutionRecorded, StatusChanged, InternalNote, InterventionCompleted,
    ];

    /// <summary>Triggers added after settings could be saved: settings saved without a rule for one follow its default rule.</summary>
    public static readonly IReadOnlyList<string> AddedLater = [StatusChanged, InternalNote, InterventionCompleted];
}

/// <summary>Whom a rule can name.</summary>
public static class NotificationRecipients
{
    /// <summary>The ticket's requester.</summary>
    public const string Customer = "customer";

    /// <summary>The addresses copied on the message the event is about.</summary>
    public const string Cc = "cc";

    /// <summary>The settings' address told of every new ticket.</summary>
    public const string NewTicketAddress = "newTicketAddress";

    public const string Assignee = "assignee";
    public const string Team = "team";
    public const string TeamLead = "teamLead";
    public const string Supervisors = "supervisors";

    /// <summary>Whoever the ticket was escalated to: the new assignee, else the new team.</summary>
    public const string EscalationTarget = "target";

    /// <summary>Whoever the SLA escalation level of the event says to notify.</summary>
    public const string Escalation = "escalation";

    public const string Approver = "approver";
    public const string RequestingAgent = "requestingAgent";

    /// <summary>The owner of the activity a reminder is about.</summary>
    public const string Owner = "owner";

    /// <summary>The active agents an internal note @mentions or copies (its cc); nobody outside the staff.</summary>
    public const string Mentioned = "mentioned";

    public static readonly IReadOnlyList<string> All =
        [Customer, Cc, NewTicketAddress, Assignee, Team, TeamLead, Supervisors, EscalationTarget, Escalation, Approver, RequestingAgent, Owner, Mentioned];
}

public static class NotificationDefaults
{
    public const string SettingsId = "default";

    public static NotificationSettings Settings { get; } = new(
        SettingsId,
        SenderAddress: "helpdesk@localhost",
        SenderName: "Helpdesk",
        NewTicketAddress: null,
        Header: null,
        Footer: null,
        NotifyCustomerOnCreation: true,
        NotifyCustomerOnClosing: true,
        Rules:
        [
            new(NotificationTriggers.TicketCreated, [NotificationRecipients.Customer, NotificationRecipients.NewTicketAddress, NotificationRecipients.Team, NotificationRecipients.Assignee], true),
            new(NotificationTriggers.TicketAssigned, [NotificationRecipients.Assignee], true),
            new(NotificationTriggers.PublicReply, [NotificationRecipients.Customer, NotificationRecipients.Cc], true),
            new(NotificationTriggers.CustomerMessage, [NotificationRecipients.Assignee], true),
            new(NotificationTriggers.TicketEscalated, [NotificationRecipients.EscalationTarget], true),
            new(NotificationTriggers.SlaWarning, [NotificationRecipients.Escalation], true),
            new(NotificationTriggers.SlaBreached, [NotificationRecipients.Escalation], true),
            new(NotificationTriggers.SlaEscalated, [NotificationRecipients.Escalation], true),
            new(NotificationTriggers.TicketResolved, [NotificationRecipients.Customer], true),
            new(NotificationTriggers.TicketClosed, [NotificationRecipients.Customer], true),
            new(NotificationTriggers.ApprovalRequested, [NotificationRecipients.Approver], true),
            new(NotificationTriggers.ApprovalDecided, [NotificationRecipients.RequestingAgent], true),
            new(NotificationTriggers.ActivityReminder, [NotificationRecipients.Owner], true),
            new(NotificationTriggers.SurveyRequested, [NotificationRecipients.Customer], true),
            new(NotificationTriggers.ResolutionRecorded, [NotificationRecipients.Customer], true),
            new(NotificationTriggers.StatusChanged, [NotificationRecipients.Customer], true),
            new(NotificationTriggers.InternalNote, [NotificationRecipients.Mentioned], true),
            new(NotificationTriggers.InterventionCompleted, [NotificationRecipients.Customer], true),
        ]);
}

public static class NotificationKinds
{
    public static readonly DirectoryKind<NotificationSettings> Settings = new("notificationSettings", s => s.Id, s => s.SenderAddress, "id", _ => []);

    public static readonly DirectoryKind<NotificationPreferences> Preferences = new("notificationPreferences", p => p.Id, p => p.Id, "id", _ => []);
}

public sealed record NotificationSettingsRequest(
    string? SenderAddress,
    string? SenderName,
    string? NewTicketAddress,
    string? Header,
    string? Footer,
    bool? NotifyCustomerOnCreation,
    bool? NotifyCustomerOnClosing,
    IReadOnlyList<NotificationRule>? Rules,
    string? Language = null,
    string? TicketLinkBase = null,
    IReadOnlyList<string>? CustomerStatusEmails = null);

/// <summary>A PUT replaces the preferences whole; <c>smsNumber</c> left out (or null) means no SMS number.</summary>
public sealed record NotificationPreferencesRequest(bool? Muted, IReadOnlyList<string>? MutedTriggers, DigestFrequency? Digest, string? SmsNumber = null);

internal sealed class NotificationSettingsValidator : AbstractValidator<NotificationSettingsRequest>
{
    public NotificationSettingsValidator()
    {
        RuleFor(r => r.SenderAddress).NotEmpty().EmailAddress().MaximumLength(320);
        RuleFor(r => r.SenderName).MaximumLength(200);
        RuleFor(r => r.NewTicketAddress).EmailAddress().MaximumLength(320).When(r => !string.IsNullOrEmpty(r.NewTicketAddress));
        RuleFor(r => r.Header).MaximumLength(20_000);
        RuleFor(r => r.Footer).MaximumLength(20_000);
        RuleFor(r => r.Rules).NotNull();
        RuleForEach(r => r.CustomerStatusEmails).Must(NotificationSettings.StatusChangeStatuses.Contains)
            .WithMessage($"A status the customer is emailed about entering is one of: {string.Join(", ", NotificationSettings.StatusChangeStatuses)} (resolved and closed have their own emails, notifyCustomerOnClosing).");
        RuleFor(r => r.Language).Must(l => NotificationTemplateCatalog.IsLanguage(l!.Trim().ToLowerInvariant()))
            .When(r => !string.IsNullOrWhiteSpace(r.Language))
            .WithMessage($"The language is one of: {string.Join(", ", NotificationTemplateCatalog.Languages)}.");
        RuleFor(r => r.TicketLinkBase).MaximumLength(2000)
            .Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
            .When(r => !string.IsNullOrWhiteSpace(r.TicketLinkBase))
            .WithMessage("The ticket link base is an absolute http(s) URL.");
        RuleForEach(r => r.Rules).ChildRules(rule =>
        {
            rule.RuleFor(x => x.Trigger).Must(NotificationTriggers.All.Contains).WithMessage($"The trigger is one of: {string.Join(", ", NotificationTriggers.All)}.");
            rule.RuleFor(x => x.Recipients).NotEmpty();
            rule.RuleForEach(x => x.Recipients).Must(NotificationRecipients.All.Contains).WithMessage($"A recipient is one of: {string.Join(", ", NotificationRecipients.All)}.");
        });
    }
}

internal sealed class NotificationPreferencesValidator : AbstractValidator<NotificationPreferencesRequest>
{
    /// <summary>A PUT replaces the preferences whole: each member is stated, so a forgotten one never silently resets.</summary>
    public NotificationPreferencesValidator()
    {
        RuleFor(r => r.Muted).NotNull().WithMessage("State whether you are muted (true or false).");
        RuleFor(r => r.MutedTriggers).NotNull().WithMessage("List the muted triggers ([] for none).");
        RuleFor(r => r.Digest).NotNull().WithMessage("Choose the digest: off, hourly or daily.");
        RuleForEach(r => r.MutedTriggers).Must(NotificationTriggers.All.Contains).WithMessage($"The trigger is one of: {string.Join(", ", NotificationTriggers.All)}.");
        RuleFor(r => r.SmsNumber).Matches(@"^\+[1-9][0-9]{6,14}$").When(r => r.SmsNumber is not null)
            .WithMessage("The SMS number is in international format: + and 7 to 15 digits, no spaces (+33612345678).");
    }
}

internal sealed class NotificationTemplateValidator : AbstractValidator<NotificationTemplateRequest>
{
    public NotificationTemplateValidator()
    {
        RuleFor(r => r.Subject).NotEmpty().MaximumLength(NotificationTemplateCatalog.MaxSubjectLength)
            .Must(s => s is null || !s.Contains('\n', StringComparison.Ordinal) && !s.Contains('\r', StringComparison.Ordinal)).WithMessage("The subject is one line.");
        RuleFor(r => r.Html).NotEmpty().MaximumLength(NotificationTemplateCatalog.MaxBodyLength);
        RuleFor(r => r.Text).NotEmpty().MaximumLength(NotificationTemplateCatalog.MaxBodyLength);
        RuleFor(r => r.Subject).Must(t => NotificationTemplateCatalog.Problems(t).Count == 0).WithMessage(r => string.Join(" ", NotificationTemplateCatalog.Problems(r.Subject)));
        RuleFor(r => r.Html).Must(t => NotificationTemplateCatalog.Problems(t).Count == 0).WithMessage(r => string.Join(" ", NotificationTemplateCatalog.Problems(r.Html)));
        RuleFor(r => r.Text).Must(t => NotificationTemplateCatalog.Problems(t).Count == 0).WithMessage(r => string.Join(" ", NotificationTemplateCatalog.Problems(r.Text)));
    }
}
