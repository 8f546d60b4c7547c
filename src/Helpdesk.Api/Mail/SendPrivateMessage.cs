using System.Net;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Mail;

/// <summary>
/// Consumer of the <c>private-mail</c> queue: a private message an agent wrote
/// (<c>ticket.messageAdded</c> with visibility <c>private</c>) is emailed to its recipients, and to
/// them only — never the requester, never anyone in copy of the ticket. The mail leaves from the
/// support mailbox with the Message-ID stored on the message (<see cref="PrivateMessageIds.Of"/>), so a
/// redelivery queues the same mail (the outbound queue keeps one per Message-ID) and the
/// recipients' answers, which cite it, thread back as private (docs/adr/0013-private-messages.md).
/// A private message taken in from mail names no recipients and is not sent on; a support mailbox
/// named as a recipient is left out (the mail would come back in).
/// </summary>
public sealed class SendPrivateMessage(ITicketStore tickets, IConversationStore messages, IOptions<MailOptions> options, IEmailSender sender) : IEventConsumer
{
    public const string Queue = "private-mail";
    public const string FunctionName = "SendPrivateMessage";

    /// <summary>The <c>X-Helpdesk-Trigger</c> of a private message's mail.</summary>
    public const string Trigger = "message.private";

    public static bool Accepts(string eventType) => eventType == TicketEventTypes.MessageAdded;

    /// <summary>The sender without a support mailbox (pickup folder, SMTP): the notifications' default sender.</summary>
    public const string StandaloneSender = "helpdesk@localhost";

    public async Task HandleAsync(EventMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Value("visibility") != Names.Of(MessageVisibility.Private)
            || message.TicketId is not { } ticketId
            || message.Value("messageId") is not { } messageId
            || await tickets.FindAsync(ticketId, cancellationToken) is not { } ticket
            || await messages.FindAsync(ticketId, messageId, cancellationToken) is not { To: { } recipients, InternetMessageId: { } internetMessageId } written
            || recipients.Where(a => !options.Value.IsSupportAddress(a)).ToList() is not { Count: > 0 } to)
        {
            return;
        }

        var subject = $"[{ticket.Number}] {ticket.Subject}";
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OutboundMail.TicketHeader] = ticket.Number,
            ["X-Helpdesk-Event"] = message.EventId,
            ["X-Helpdesk-Trigger"] = Trigger,
            [OutboundMail.VisibilityHeader] = Names.Of(MessageVisibility.Private),
        };
        var html = "<html><body>" + written.Html + "<p style=\"color:#999999;font-size:smaller\">" + WebUtility.HtmlEncode(Footer(ticket)) + "</p></body></html>";
        await sender.SendAsync(
            new EmailMessage(
                internetMessageId,
                new EmailAddress(options.Value.Mailboxes.FirstOrDefault()?.Address ?? StandaloneSender, written.AuthorName),
                [.. to.Select(a => new EmailAddress(a))],
                [],
                subject,
                written.Text.TrimEnd() + "\r\n\r\n" + Footer(ticket),
                html,
                ticket.Id,
                Headers: headers),
            cancellationToken);
    }

    private static string Footer(Ticket ticket) =>
        $"Private message about ticket {ticket.Number}: the customer does not see it. Reply to this mail to answer privately.";
}
