using System.Net;
using System.Text;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// The words of each notification. Customers get what concerns them and nothing internal (no
/// notes, no escalation reasons); staff get the facts of the event. Every email carries the
/// settings' header and footer, the ticket number in the subject, and headers that mark it as
/// automatic and name the ticket, so replies thread and no mailbox loops on it.
/// </summary>
public sealed class NotificationContent(ApprovalLinks approvalLinks)
{
    /// <summary>
    /// What the customer reads. A public reply is the agent's words themselves (HTML and text,
    /// between the settings' header and footer), written by a person: not marked automatic.
    /// </summary>
    public EmailMessage ForCustomer(string trigger, EventMessage message, Ticket ticket, NotificationSettings settings, EmailAddress to, IReadOnlyList<EmailAddress> cc, string messageId, TicketMessage? reply = null)
    {
        if (trigger == NotificationTriggers.PublicReply && reply is not null)
        {
            return Reply(message, ticket, settings, to, cc, messageId, reply);
        }

        var (headline, lines) = trigger switch
        {
            NotificationTriggers.TicketCreated => ("We received your request", new[] { $"Your request \"{ticket.Subject}\" is registered as ticket {ticket.Number}. We will get back to you soon." }),
            NotificationTriggers.PublicReply => ("New reply on your request", [message.Value("text") ?? $"There is a new reply on your ticket {ticket.Number}."]),
            NotificationTriggers.TicketResolved => ("Your request is resolved", [$"Ticket {ticket.Number} is resolved.", .. Optional(message.Value("summary"))]),
            NotificationTriggers.TicketClosed => ("Your request is closed", [$"Ticket {ticket.Number} is closed."]),
            NotificationTriggers.SurveyRequested => ("How did we do?", [$"Please tell us how we handled \"{ticket.Subject}\" (ticket {ticket.Number}): {message.Value("link")}"]),
            NotificationTriggers.ResolutionRecorded => ("How your request was resolved", [$"Ticket {ticket.Number} was resolved as follows:", .. Optional(message.Value("details"))]),
            _ => ("Update on your request", [$"Ticket {ticket.Number} was updated."]),
        };
        return Compose(trigger, message, ticket, settings, to, cc, messageId, headline, lines);
    }

    /// <remarks><paramref name="agentId"/> is the agent the email goes to, if it goes to one: only the approver an approval request names gets its links.</remarks>
    public EmailMessage ForStaff(string trigger, EventMessage message, Ticket ticket, NotificationSettings settings, EmailAddress to, string messageId, string? agentId = null)
    {
        var (headline, lines) = trigger switch
        {
            NotificationTriggers.TicketCreated => ("New ticket", new[] { $"{ticket.Requester.Name ?? ticket.Requester.Email} opened \"{ticket.Subject}\" ({Names.Of(ticket.Priority)} priority)." }),
            NotificationTriggers.TicketAssigned => ("Ticket assigned to you", [$"\"{ticket.Subject}\" is now assigned to you."]),
            NotificationTriggers.CustomerMessage => ("The customer wrote", [$"{ticket.Requester.Name ?? ticket.Requester.Email} added a message to \"{ticket.Subject}\"."]),
            NotificationTriggers.PublicReply => ("New public reply", [$"A public reply was posted on \"{ticket.Subject}\"."]),
            NotificationTriggers.TicketEscalated => ("Ticket escalated", [$"\"{ticket.Subject}\" was escalated.", .. Optional(message.Value("note"))]),
            NotificationTriggers.SlaWarning => ("SLA target at risk", [$"The {message.Value("target") ?? "SLA"} target of \"{ticket.Subject}\" is due {message.Value("dueAt") ?? "soon"}."]),
            NotificationTriggers.SlaBreached => ("SLA target breached", [$"The {message.Value("target") ?? "SLA"} target of \"{ticket.Subject}\" was breached at {message.Value("at") ?? message.OccurredAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}."]),
            NotificationTriggers.SlaEscalated => ("SLA escalation", [$"\"{ticket.Subject}\" reached an escalation level of its {message.Value("target") ?? "SLA"} target."]),
            NotificationTriggers.TicketResolved => ("Ticket resolved", [$"\"{ticket.Subject}\" is resolved.", .. Optional(message.Value("summary"))]),
            NotificationTriggers.TicketClosed => ("Ticket closed", [$"\"{ticket.Subject}\" is closed."]),
            NotificationTriggers.ApprovalRequested => (message.Value("reminder") == "true" ? "Reminder: approval requested" : "Approval requested", [$"Your approval is requested on \"{ticket.Subject}\".", .. Optional(message.Value("reason")), .. ApprovalLinkLines(message, agentId)]),
            NotificationTriggers.ApprovalDecided => ($"Approval {message.Value("decision") ?? "decided"}", [$"The approval on \"{ticket.Subject}\" was {message.Value("decision") ?? "decided"}.", .. Optional(message.Value("comment"))]),
            NotificationTriggers.SurveyRequested => ("Satisfaction survey sent", [$"The requester of \"{ticket.Subject}\" was asked how we did."]),
            NotificationTriggers.ResolutionRecorded => ("Resolution recorded", [$"The resolution of \"{ticket.Subject}\" was recorded.", .. Optional(message.Value("details"))]),
            NotificationTriggers.ActivityReminder => ("Reminder", [message.Value("title") is { } title ? $"Reminder: {title} (\"{ticket.Subject}\")." : $"Reminder about \"{ticket.Subject}\"."]),
            _ => ("Ticket updated", [$"\"{ticket.Subject}\" was updated."]),
        };
        return Compose(trigger, message, ticket, settings, to, [], messageId, headline, lines);
    }

    private static EmailMessage Reply(EventMessage message, Ticket ticket, NotificationSettings settings, EmailAddress to, IReadOnlyList<EmailAddress> cc, string messageId, TicketMessage reply)
    {
        var (text, html) = Framed(settings, reply.Text, reply.Html);
        return new EmailMessage(
            messageId,
            new EmailAddress(settings.SenderAddress, settings.SenderName),
            [to],
            cc,
            $"Re: [{ticket.Number}] {ticket.Subject}",
            text,
            html,
            ticket.Id,
            Headers: new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["X-Helpdesk-Ticket"] = ticket.Number,
                ["X-Helpdesk-Event"] = message.EventId,
                ["X-Helpdesk-Trigger"] = NotificationTriggers.PublicReply,
            },
            ConversationMessageId: reply.Id);
    }

    /// <summary>The body between the settings' header and footer, as text and as an HTML document.</summary>
    private static (string Text, string Html) Framed(NotificationSettings settings, string text, string html)
    {
        var plain = new StringBuilder();
        var rich = new StringBuilder("<html><body>");
        if (!string.IsNullOrWhiteSpace(settings.Header))
        {
            plain.AppendLine(settings.Header).AppendLine();
            rich.Append("<div class=\"header\">").Append(settings.Header).Append("</div>");
        }

        plain.AppendLine(text);
        rich.Append(html);
        if (!string.IsNullOrWhiteSpace(settings.Footer))
        {
            plain.AppendLine().AppendLine(settings.Footer);
            rich.Append("<div class=\"footer\">").Append(settings.Footer).Append("</div>");
        }

        rich.Append("</body></html>");
        return (plain.ToString(), rich.ToString());
    }

    private static EmailMessage Compose(string trigger, EventMessage message, Ticket ticket, NotificationSettings settings, EmailAddress to, IReadOnlyList<EmailAddress> cc, string messageId, string headline, IReadOnlyList<string> lines)
    {
        var text = new StringBuilder();
        var html = new StringBuilder("<html><body>");
        if (!string.IsNullOrWhiteSpace(settings.Header))
        {
            text.AppendLine(settings.Header).AppendLine();
            html.Append("<div class=\"header\">").Append(settings.Header).Append("</div>");
        }

        text.AppendLine(headline).AppendLine();
        html.Append("<h2>").Append(WebUtility.HtmlEncode(headline)).Append("</h2>");
        foreach (var line in lines)
        {
            text.AppendLine(line);
            html.Append("<p>").Append(WebUtility.HtmlEncode(line)).Append("</p>");
        }

        if (!string.IsNullOrWhiteSpace(settings.Footer))
        {
            text.AppendLine().AppendLine(settings.Footer);
            html.Append("<div class=\"footer\">").Append(settings.Footer).Append("</div>");
        }

        html.Append("</body></html>");
        return new EmailMessage(
            messageId,
            new EmailAddress(settings.SenderAddress, settings.SenderName),
            [to],
            cc,
            $"[{ticket.Number}] {headline}: {ticket.Subject}",
            text.ToString(),
            html.ToString(),
            ticket.Id,
            Headers: new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Auto-Submitted"] = "auto-generated",
                ["X-Helpdesk-Ticket"] = ticket.Number,
                ["X-Helpdesk-Event"] = message.EventId,
                ["X-Helpdesk-Trigger"] = trigger,
            });
    }

    /// <summary>The approver's own signed links, made now: they are never stored in the event.</summary>
    private string[] ApprovalLinkLines(EventMessage message, string? agentId)
    {
        if (ApprovalLinks.FromEvent(message.Data) is not { } link || link.ApproverId != agentId)
        {
            return [];
        }

        var (approve, reject) = approvalLinks.UrlsFor(link);
        return [$"Approve: {approve}", $"Reject: {reject}"];
    }

    private static string[] Optional(string? line) => string.IsNullOrWhiteSpace(line) ? [] : [line];
}
