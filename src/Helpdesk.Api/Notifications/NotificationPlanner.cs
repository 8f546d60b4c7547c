using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Notifications;

public enum NotificationState
{
    /// <summary>To be sent now.</summary>
    Pending,

    /// <summary>Handed to the email sender.</summary>
    Sent,

    /// <summary>Waiting for the agent's next digest.</summary>
    Digest,

    /// <summary>Sent as part of a digest.</summary>
    Digested,
}

/// <summary>One email one recipient gets about one event; its id is the same however often the event is processed.</summary>
public sealed record PlannedNotification(string Id, string EventId, string? TicketId, string Trigger, string Recipient, string? AgentId, NotificationState State, EmailMessage Email);

/// <summary>
/// Turns an event into the notifications the rules ask for: finds the trigger, resolves each
/// rule's recipients through the ticket and the directory, leaves out the person who acted,
/// inactive agents and muted triggers, and sends agents who chose a digest to it.
/// </summary>
public sealed class NotificationPlanner(ITicketStore tickets, IConversationStore conversation, IDirectoryStore directory, NotificationContent content)
{
    private List<Agent>? _agents;

    public static string? TriggerOf(EventMessage message) => message.Type switch
    {
        NotificationTriggers.MessageAddedEvent when message.Value("visibility") == "internal" => NotificationTriggers.InternalNote,
        NotificationTriggers.MessageAddedEvent when message.Value("visibility") == "public" && message.Value("authorType") == "agent" => NotificationTriggers.PublicReply,
        NotificationTriggers.MessageAddedEvent when message.Value("authorType") == "customer" => NotificationTriggers.CustomerMessage,
        NotificationTriggers.MessageAddedEvent => null,
        ChatEventTypes.ReplyByEmail => NotificationTriggers.PublicReply,
        NotificationTriggers.ResolutionRecorded when message.Value("emailContact") != "true" => null,
        NotificationTriggers.ActivityReminder when !Split(message.Value("channels")).Contains("email", StringComparer.Ordinal) => null,
        _ => NotificationTriggers.All.Contains(message.Type) ? message.Type : null,
    };

    /// <summary>
    /// The triggers an event sets off: the one its type names, and <see cref="NotificationTriggers.StatusChanged"/>
    /// as well when it changed the ticket's status (the event carries <c>statusTo</c>).
    /// </summary>
    public static IReadOnlyList<string> TriggersOf(EventMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        List<string> triggers = [];
        if (TriggerOf(message) is { } trigger)
        {
            triggers.Add(trigger);
        }

        if (message.Value("statusTo") is not null && message.Type.StartsWith("ticket.", StringComparison.Ordinal))
        {
            triggers.Add(NotificationTriggers.StatusChanged);
        }

        return triggers;
    }

    public async Task<IReadOnlyList<PlannedNotification>> PlanAsync(EventMessage message, NotificationSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var planned = new List<PlannedNotification>();
        foreach (var trigger in TriggersOf(message))
        {
            planned.AddRange(await PlanAsync(message, trigger, settings, cancellationToken));
        }

        return [.. planned.DistinctBy(p => p.Id)];
    }

    private async Task<IReadOnlyList<PlannedNotification>> PlanAsync(EventMessage message, string trigger, NotificationSettings settings, CancellationToken cancellationToken)
    {
        if (message.TicketId is null)
        {
            return [];
        }

        var rules = settings.RulesFor(trigger).ToArray();
        var ticket = rules.Length == 0 ? null : await tickets.FindAsync(message.TicketId, cancellationToken);
        if (ticket is null)
        {
            return [];
        }

        var wanted = rules.SelectMany(r => r.Recipients).ToHashSet(StringComparer.Ordinal);
        var customerMayHear = CustomerMayHear(trigger, message, ticket, settings);
        var customers = new List<EmailAddress>();
        var addresses = new List<EmailAddress>();
        var agentIds = new List<string>();
        var cc = Split(message.Value("cc")).Select(a => new EmailAddress(a)).ToList();

        foreach (var recipient in wanted)
        {
            switch (recipient)
            {
                case NotificationRecipients.Customer when customerMayHear && ticket.Requester is { } requester:
                    customers.Add(new EmailAddress(requester.Email, requester.Name));
                    break;
                case NotificationRecipients.Cc when customerMayHear && !wanted.Contains(NotificationRecipients.Customer):
                    addresses.AddRange(cc);
                    break;
                case NotificationRecipients.NewTicketAddress when !string.IsNullOrWhiteSpace(settings.NewTicketAddress):
                    addresses.Add(new EmailAddress(settings.NewTicketAddress));
                    break;
                case NotificationRecipients.Assignee:
                    agentIds.AddIfSet(AsOfEvent(message, "assigneeId", ticket.AssigneeId));
                    break;
                case NotificationRecipients.Team:
                    agentIds.AddRange(await TeamMembersAsync(AsOfEvent(message, "teamId", ticket.TeamId), cancellationToken));
                    break;
                case NotificationRecipients.TeamLead:
                    agentIds.AddIfSet(await TeamLeadAsync(AsOfEvent(message, "teamId", ticket.TeamId), cancellationToken));
                    break;
                case NotificationRecipients.Supervisors:
                    agentIds.AddRange(await SupervisorsAsync(cancellationToken));
                    break;
                case NotificationRecipients.EscalationTarget:
                    agentIds.AddRange(await EscalationTargetAsync(message, cancellationToken));
                    break;
                case NotificationRecipients.Escalation:
                    agentIds.AddRange(await SlaRecipientsAsync(message, ticket, addresses, cancellationToken));
                    break;
                case NotificationRecipients.Approver:
                    agentIds.AddIfSet(message.Value("approverId"));
                    break;
                case NotificationRecipients.RequestingAgent:
                    agentIds.AddIfSet(message.Value("requestedBy"));
                    break;
                case NotificationRecipients.Owner:
                    agentIds.AddIfSet(message.Value("ownerId"));
                    break;
                case NotificationRecipients.Mentioned when trigger == NotificationTriggers.InternalNote:
                    agentIds.AddRange(await AgentsCopiedAsync(cc, cancellationToken));
                    break;
                default:
                    break;
            }
        }

        var reply = trigger == NotificationTriggers.PublicReply && customers.Count > 0 && message.Value("messageId") is { } replyId
            ? await conversation.FindAsync(ticket.Id, replyId, cancellationToken)
            : null;
        var note = trigger == NotificationTriggers.InternalNote && agentIds.Count > 0 && message.Value("messageId") is { } noteId
            ? await conversation.FindAsync(ticket.Id, noteId, cancellationToken)
            : null;
        var context = new NotificationContext(trigger, message, ticket, settings, await LanguageOfAsync(ticket, settings, cancellationToken), await ActingAgentAsync(message, cancellationToken));
        var planned = new List<PlannedNotification>();
        foreach (var customer in customers.DistinctBy(a => EmailAddresses.Normalize(a.Address)))
        {
            var copies = wanted.Contains(NotificationRecipients.Cc) ? cc.Where(c => !SameAddress(c, customer)).ToArray() : [];
            planned.Add(Plan(message, trigger, customer, null, NotificationState.Pending, await content.ForCustomerAsync(context, customer, copies, MessageIdFor(message, customer.Address, trigger), reply, cancellationToken)));
        }

        foreach (var address in addresses.DistinctBy(a => EmailAddresses.Normalize(a.Address)).Where(a => !customers.Any(c => SameAddress(c, a))))
        {
            planned.Add(Plan(message, trigger, address, null, NotificationState.Pending, await content.ForStaffAsync(context, address, MessageIdFor(message, address.Address, trigger), null, null, cancellationToken)));
        }

        foreach (var agentId in agentIds.Distinct(StringComparer.Ordinal))
        {
            if (message.Actor is { Type: ActorType.Agent } actor && actor.Id == agentId)
            {
                continue;
            }

            var agent = (await directory.FindAsync(DirectoryKinds.Agent, agentId, cancellationToken))?.Value;
            if (agent is not { Active: true })
            {
                continue;
            }

            var preferences = (await directory.FindAsync(NotificationKinds.Preferences, agent.Id, cancellationToken))?.Value ?? NotificationPreferences.Default(agent.Id);
            if (preferences.Mutes(trigger))
            {
                continue;
            }

            var state = preferences.Digest == DigestFrequency.Off ? NotificationState.Pending : NotificationState.Digest;
            var to = new EmailAddress(agent.Email, agent.Name);
            if (addresses.Any(a => SameAddress(a, to)))
            {
                continue;
            }

            planned.Add(Plan(message, trigger, to, agent.Id, state, await content.ForStaffAsync(context, to, MessageIdFor(message, agent.Email, trigger), agent.Id, note, cancellationToken)));
        }

        return planned;
    }

    /// <summary>The ticket's language: its requester's, else the settings' default, else English.</summary>
    private async Task<string> LanguageOfAsync(Ticket ticket, NotificationSettings settings, CancellationToken cancellationToken)
    {
        var contact = ticket.Requester is { } requester ? (await directory.FindAsync(DirectoryKinds.Contact, requester.ContactId, cancellationToken))?.Value : null;
        return NotificationTemplateCatalog.Supported(contact?.Language ?? settings.Language);
    }

    private async Task<string?> ActingAgentAsync(EventMessage message, CancellationToken cancellationToken) =>
        message.Actor is { Type: ActorType.Agent, Id: { } id }
            ? (await directory.FindAsync(DirectoryKinds.Agent, id, cancellationToken))?.Value.Name
            : null;

    private static PlannedNotification Plan(EventMessage message, string trigger, EmailAddress to, string? agentId, NotificationState state, EmailMessage email) =>
        new(email.MessageId, message.EventId, message.TicketId, trigger, to.Address, agentId, state, email);

    /// <summary>
    /// Whether the customer side (the requester and the addresses in copy) hears of the event. Never
    /// of an internal note, never on an internal ticket. Otherwise the ticket's notify flag decides every customer email — as
    /// the event carries it (as it was then, not as it is now) — and the settings narrow it: the
    /// acknowledgement of a new ticket, the resolved and closed emails, and the status changes the
    /// admin enabled. A resolution record emailed on purpose (<c>emailContact</c>) is the agent's
    /// explicit ask and goes regardless of the flag.
    /// </summary>
    private static bool CustomerMayHear(string trigger, EventMessage message, Ticket ticket, NotificationSettings settings)
    {
        if (trigger == NotificationTriggers.InternalNote || ticket.IsInternal || ticket.Requester is null)
        {
            return false;
        }

        // A reply written while the customer chats is delivered in the chat; the ones they never answered are emailed when it ends (chat.replyByEmail).
        var notify = (message.Value("notifyCustomer") ?? (ticket.NotifyCustomer ? "true" : "false")) == "true"
            && !(message.Type == NotificationTriggers.MessageAddedEvent && message.Value("chatId") is not null);
        return trigger switch
        {
            NotificationTriggers.ResolutionRecorded => true,
            NotificationTriggers.TicketCreated => notify && settings.NotifyCustomerOnCreation,
            NotificationTriggers.TicketResolved or NotificationTriggers.TicketClosed => notify && settings.NotifyCustomerOnClosing,
            NotificationTriggers.StatusChanged => notify
                && settings.EmailsCustomerOn(message.Value("statusTo"))
                && !(message.Actor is { Type: ActorType.Customer } actor && actor.Id == ticket.Requester.ContactId),
            _ => notify,
        };
    }

    /// <summary>
    /// The value as the event saw it when the event carries it (the ticket may have moved on
    /// since), else the ticket's current one.
    /// </summary>
    private static string? AsOfEvent(EventMessage message, string key, string? current) =>
        message.Data.ContainsKey(key) ? message.Value(key) : current;

    private async Task<IEnumerable<string>> EscalationTargetAsync(EventMessage message, CancellationToken cancellationToken)
    {
        var assignee = message.Value("assigneeId");
        return assignee is not null && assignee != message.Value("previousAssigneeId")
            ? [assignee]
            : await TeamMembersAsync(message.Value("teamId"), cancellationToken);
    }

    /// <summary>
    /// The agents an SLA escalation level names (assignee, teamLead, supervisors, the ticket's
    /// team or a named one, a named agent); the addresses it names join <paramref name="addresses"/>.
    /// The assignee when it names nobody.
    /// </summary>
    private async Task<IEnumerable<string>> SlaRecipientsAsync(EventMessage message, Ticket ticket, List<EmailAddress> addresses, CancellationToken cancellationToken)
    {
        var named = Split(message.Value("notify"));
        if (named.Length == 0)
        {
            named = [NotificationRecipients.Assignee];
        }

        var result = new List<string>();
        foreach (var token in named)
        {
            var separator = token.IndexOf(':', StringComparison.Ordinal);
            var (who, target) = separator < 0 ? (token, null) : (token[..separator], token[(separator + 1)..]);
            switch (who)
            {
                case NotificationRecipients.Assignee:
                    result.AddIfSet(ticket.AssigneeId);
                    break;
                case NotificationRecipients.TeamLead:
                    result.AddIfSet(await TeamLeadAsync(ticket.TeamId, cancellationToken));
                    break;
                case NotificationRecipients.Supervisors:
                    result.AddRange(await SupervisorsAsync(cancellationToken));
                    break;
                case NotificationRecipients.Team:
                    result.AddRange(await TeamMembersAsync(target ?? ticket.TeamId, cancellationToken));
                    break;
                case "agent":
                    result.AddIfSet(target);
                    break;
                case "address" when !string.IsNullOrWhiteSpace(target):
                    addresses.Add(new EmailAddress(target));
                    break;
                default:
                    break;
            }
        }

        return result;
    }

    /// <summary>The active agents among the addresses a note copies (its cc, which holds the agents it @mentions too).</summary>
    private async Task<IEnumerable<string>> AgentsCopiedAsync(IEnumerable<EmailAddress> copied, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        foreach (var address in copied)
        {
            if (await directory.FindByKeyAsync(DirectoryKinds.Agent, EmailAddresses.Normalize(address.Address), cancellationToken) is { Active: true } agent)
            {
                result.Add(agent.Id);
            }
        }

        return result;
    }

    private async Task<string?> TeamLeadAsync(string? teamId, CancellationToken cancellationToken) =>
        teamId is null ? null : (await directory.FindAsync(DirectoryKinds.Team, teamId, cancellationToken))?.Value.LeadAgentId;

    private async Task<IEnumerable<string>> TeamMembersAsync(string? teamId, CancellationToken cancellationToken) =>
        teamId is null ? [] : (await AgentsAsync(cancellationToken)).Where(a => a.TeamIds.Contains(teamId, StringComparer.Ordinal)).Select(a => a.Id);

    private async Task<IEnumerable<string>> SupervisorsAsync(CancellationToken cancellationToken) =>
        (await AgentsAsync(cancellationToken)).Where(a => a.Roles.Contains(Auth.Roles.Supervisor, StringComparer.Ordinal)).Select(a => a.Id);

    private async Task<List<Agent>> AgentsAsync(CancellationToken cancellationToken)
    {
        if (_agents is not null)
        {
            return _agents;
        }

        var agents = new List<Agent>();
        string? cursor = null;
        do
        {
            var page = await directory.ListAsync(DirectoryKinds.Agent, null, Common.Paging.MaxLimit, cursor, cancellationToken);
            agents.AddRange(page.Items.Select(v => v.Value).Where(a => a.Active));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return _agents = agents;
    }

    /// <summary>
    /// Stable per event and recipient, so a repeated delivery plans (and sends) the same message; a
    /// status change is a second trigger of its event, with ids of its own.
    /// </summary>
    public static string MessageIdFor(EventMessage message, string address, string? trigger = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var scope = trigger == NotificationTriggers.StatusChanged ? message.EventId + "\n" + trigger : message.EventId;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(scope + "\n" + EmailAddresses.Normalize(address)));
        return string.Create(CultureInfo.InvariantCulture, $"ntf-{Convert.ToHexStringLower(hash)[..32]}@helpdesk");
    }

    private static bool SameAddress(EmailAddress a, EmailAddress b) =>
        string.Equals(EmailAddresses.Normalize(a.Address), EmailAddresses.Normalize(b.Address), StringComparison.Ordinal);

    private static string[] Split(string? list) =>
        (list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

internal static class RecipientLists
{
    public static void AddIfSet(this List<string> list, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            list.Add(value);
        }
    }
}
