using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// Writes the inbox entries an event asks for, part of the <c>notifications</c> queue's delivery
/// (<see cref="DeliverNotifications"/>): a due <c>popup</c> reminder goes to the activity's owner;
/// an internal note goes to each active agent it @mentions (kind mention) or copies (kind cc),
/// never to its author. Entry ids are stable per event and agent, so a redelivery writes nothing new.
/// Inbox entries are not emails: an agent's mutes and digest choice do not apply to them.
/// </summary>
public sealed class NotificationInboxWriter(INotificationInbox inbox, ITicketStore tickets, IConversationStore conversation, IDirectoryStore directory, MentionResolver mentions)
{
    public const string PopupChannel = "popup";

    public static bool Concerns(EventMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.TicketId is not null && (IsPopupReminder(message) || IsInternalNote(message));
    }

    public static bool IsInternalNote(EventMessage message) =>
        message.Type == NotificationTriggers.MessageAddedEvent
        && message.Value("visibility") == Names.Of(MessageVisibility.Internal)
        && message.Value("messageId") is not null;

    public async Task WriteAsync(EventMessage message, CancellationToken cancellationToken)
    {
        if (!Concerns(message) || await tickets.FindAsync(message.TicketId!, cancellationToken) is not { } ticket)
        {
            return;
        }

        if (IsPopupReminder(message))
        {
            if (await ActiveAgentAsync(message.Value("ownerId"), cancellationToken) is { } owner)
            {
                var title = message.Value("title") ?? ticket.Subject;
                await inbox.AddAsync(owner.Id, new InboxEntry(InboxEntry.IdFor(message.EventId, owner.Id), InboxEntryKind.Reminder, ticket.Id, ticket.Number, title, InboxEntry.Shorten(ticket.Subject), message.OccurredAt, null), cancellationToken);
            }

            return;
        }

        var note = await conversation.FindAsync(ticket.Id, message.Value("messageId")!, cancellationToken);
        if (note is null)
        {
            return;
        }

        var mentioned = (await mentions.ResolveAsync(note.Text, agentsOnly: true, cancellationToken)).Emails.Select(EmailAddresses.Normalize).ToHashSet(StringComparer.Ordinal);
        foreach (var email in note.Cc.Select(EmailAddresses.Normalize).Distinct(StringComparer.Ordinal))
        {
            var agent = await directory.FindByKeyAsync(DirectoryKinds.Agent, email, cancellationToken);
            if (agent is not { Active: true } || (message.Actor is { Type: ActorType.Agent } author && author.Id == agent.Id))
            {
                continue;
            }

            var kind = mentioned.Contains(email) ? InboxEntryKind.Mention : InboxEntryKind.Cc;
            await inbox.AddAsync(agent.Id, new InboxEntry(InboxEntry.IdFor(message.EventId, agent.Id), kind, ticket.Id, ticket.Number, ticket.Subject, InboxEntry.Shorten(note.Text), message.OccurredAt, null), cancellationToken);
        }
    }

    private static bool IsPopupReminder(EventMessage message) =>
        message.Type == NotificationTriggers.ActivityReminder
        && (message.Value("channels") ?? string.Empty).Split(',', StringSplitOptions.TrimEntries).Contains(PopupChannel, StringComparer.Ordinal);

    private async Task<Agent?> ActiveAgentAsync(string? agentId, CancellationToken cancellationToken) =>
        agentId is null ? null : (await directory.FindAsync(DirectoryKinds.Agent, agentId, cancellationToken))?.Value is { Active: true } agent ? agent : null;
}
