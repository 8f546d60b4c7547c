using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Chat;

/// <summary>Chat settings (configuration section <c>Chat</c>).</summary>
public sealed class ChatOptions
{
    public const string Section = "Chat";

    /// <summary>
    /// A session the customer wrote nothing in for this long ends by itself; the agents' replies
    /// they never answered then go by email, as they would have without the chat.
    /// </summary>
    public int IdleMinutes { get; set; } = 10;
}

/// <summary>
/// Chat sessions (issue 24, docs/adr/0009-live-chat.md): a session opens a ticket or continues one
/// of the customer's own; its messages are the ticket's messages (source <c>chat</c>), written
/// through <see cref="ConversationService"/> with the session in the same ticket write; the
/// ticket knows its open session, so an agent's reply is delivered in the chat, or by email once
/// the session ended.
/// </summary>
public sealed class ChatService(ConversationService conversation, TicketRunner runner, ITicketStore tickets)
{
    /// <summary>The customer opens a chat: on a new ticket, or on <paramref name="ticket"/> (one they can see) when given.</summary>
    public async Task<Outcome<ChatSession>> OpenAsync(Contact contact, string? subject, string message, Ticket? ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var draft = Draft(contact, message);
        ChatSession? session = null;
        IEnumerable<TicketItemWrite> Start(Ticket t, DateTimeOffset now)
        {
            session = new ChatSession(Ids.New("chat", now), t.Id, contact.Id, now, now);
            t.StartChat(session.Id, contact.Id, draft.Author, now);
            return [TicketItemWrite.Add(ChatStores.Kind, session.Id, session)];
        }

        if (ticket is null)
        {
            var opened = new TicketDraft(
                string.IsNullOrWhiteSpace(subject) ? Ticket.FitSubject(draft.Body.Text.Split('\n')[0]) : subject.Trim(),
                null,
                new Requester(contact.Id, contact.Email, contact.Name),
                contact.AccountId);
            await conversation.OpenAsync(opened, draft, cancellationToken, Start);
        }
        else
        {
            var posted = await conversation.AddAsync(ticket.Id, draft, cancellationToken, Start);
            if (!posted.Succeeded)
            {
                return posted.Problem;
            }
        }

        return session!;
    }

    /// <summary>The customer writes in their open session; a session that ended, or whose ticket was closed, refuses.</summary>
    public async Task<Outcome<TicketMessage>> SendAsync(ChatSession session, Contact contact, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(contact);
        if (await EndedAsync(session, cancellationToken) is { } refused)
        {
            return refused;
        }

        var posted = await conversation.AddAsync(
            session.TicketId,
            Draft(contact, message),
            cancellationToken,
            (t, now) => t.Chat?.Id == session.Id
                ? [new TicketItemWrite(ChatStores.Kind, session.Id, null, session with { LastCustomerAt = now })]
                : throw new DomainRuleException("chat-ended", "This chat has ended; open a new one."));
        return posted.Map(p => p.Message);
    }

    /// <summary>
    /// Ends the session (the customer closed it, or it went idle: then only if the customer still
    /// wrote nothing after <paramref name="idleSince"/>); ending one that already ended changes nothing.
    /// </summary>
    public async Task<Outcome<ChatSession>> CloseAsync(ChatSession session, string reason, Actor by, CancellationToken cancellationToken, DateTimeOffset? idleSince = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.Open)
        {
            return session;
        }

        var ended = session;
        var outcome = await runner.RunAsync<ChatSession>(
            session.TicketId,
            by,
            TicketPrecondition.None,
            c =>
            {
                if (idleSince is { } since && c.Ticket.Chat is { } open && open.Id == session.Id && open.LastCustomerAt > since)
                {
                    return Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("chat-active"), "The chat is active.", "The customer wrote since the session was found idle.");
                }

                ended = session with { ClosedAt = c.Now, EndReason = reason };
                c.Ticket.EndChat(session.Id, reason, by, c.Now);
                c.Write(new TicketItemWrite(ChatStores.Kind, session.Id, null, ended));
                return (Outcome<ChatSession>)ended;
            },
            cancellationToken,
            TicketLookup.IncludingDeleted);
        return outcome;
    }

    private async Task<ProblemDetails?> EndedAsync(ChatSession session, CancellationToken cancellationToken)
    {
        var ticket = session.Open ? await tickets.FindAsync(session.TicketId, cancellationToken) : null;
        return ticket is null || ticket.Chat?.Id != session.Id || ticket.Status == TicketStatus.Closed
            ? Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("chat-ended"), "The chat has ended.", "This chat has ended; open a new one.")
            : null;
    }

    private static MessageDraft Draft(Contact contact, string message) =>
        new(Actor.Customer(contact.Id), contact.Name ?? contact.Email, MessageVisibility.Public, HtmlSanitizer.Sanitize(message), [], MessageSources.Chat);
}
