using System.Globalization;
using System.Net;
using System.Text;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// What a notification about one event is written from: the trigger, the event, the ticket as it
/// is now, the settings, the language of the ticket (its requester's) and the name of the agent who acted.
/// </summary>
public sealed record NotificationContext(string Trigger, EventMessage Message, Ticket Ticket, NotificationSettings Settings, string Language, string? AgentName);

/// <summary>
/// The words of each notification, from the event's template in the ticket's language (see
/// <see cref="NotificationTemplateCatalog"/>). Customers get what concerns them and nothing
/// internal (no notes, no escalation reasons); staff get the facts of the event. Every email
/// carries the settings' header and footer, the ticket number in the subject, and headers that
/// mark it as automatic and name the ticket, so replies thread and no mailbox loops on it.
/// </summary>
public sealed class NotificationContent(ApprovalLinks approvalLinks, NotificationTemplateSource templates)
{
    /// <summary>
    /// What the customer reads. A public reply is the agent's words themselves (HTML and text,
    /// between the settings' header and footer), written by a person: not marked automatic.
    /// </summary>
    public async Task<EmailMessage> ForCustomerAsync(NotificationContext context, EmailAddress to, IReadOnlyList<EmailAddress> cc, string messageId, TicketMessage? reply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(to);
        var values = Values(context, to);
        var said = reply?.Text ?? context.Message.Value("text");
        values["message.text"] = said;
        var html = new Dictionary<string, string>(StringComparer.Ordinal) { ["message.html"] = reply?.Html ?? WebUtility.HtmlEncode(said ?? string.Empty) };
        var template = await templates.GetAsync(NotificationTemplateCatalog.EventFor(customer: true, context.Trigger), context.Language, cancellationToken);
        var person = context.Trigger == NotificationTriggers.PublicReply && reply is not null;
        return Compose(context, to, cc, messageId, NotificationTemplateSource.Render(template, values, html), automatic: !person) with
        {
            ConversationMessageId = person ? reply!.Id : null,
        };
    }

    /// <remarks>
    /// <paramref name="agentId"/> is the agent the email goes to, if it goes to one: only the approver an approval request names gets its links.
    /// <paramref name="note"/>, for an internal note, is the note: its text is <c>{{message.text}}</c>.
    /// </remarks>
    public async Task<EmailMessage> ForStaffAsync(NotificationContext context, EmailAddress to, string messageId, string? agentId, TicketMessage? note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(to);
        var values = Values(context, to);
        values["message.text"] = note?.Text;
        if (context.Trigger == NotificationTriggers.ApprovalRequested && ApprovalLinks.FromEvent(context.Message.Data) is { } link && link.ApproverId == agentId)
        {
            var (approve, reject) = approvalLinks.UrlsFor(link);
            values["approval.approveLink"] = approve;
            values["approval.rejectLink"] = reject;
        }

        var template = await templates.GetAsync(NotificationTemplateCatalog.EventFor(customer: false, context.Trigger), context.Language, cancellationToken);
        return Compose(context, to, [], messageId, NotificationTemplateSource.Render(template, values), automatic: true);
    }

    /// <summary>One email listing the subjects of the notifications an agent's digest collected.</summary>
    public async Task<EmailMessage> DigestAsync(NotificationSettings settings, EmailAddress to, IReadOnlyList<EmailMessage> items, string messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(items);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["recipient.name"] = to.Name,
            ["digest.count"] = items.Count.ToString(CultureInfo.InvariantCulture),
            ["digest.items"] = string.Join('\n', items.Select(i => "- " + i.Subject)),
        };
        var list = new StringBuilder("<ul>");
        foreach (var item in items)
        {
            list.Append("<li>").Append(WebUtility.HtmlEncode(item.Subject)).Append("</li>");
        }

        var html = new Dictionary<string, string>(StringComparer.Ordinal) { ["digest.items"] = list.Append("</ul>").ToString() };
        var language = NotificationTemplateCatalog.Supported(settings.Language);
        var (subject, rich, text) = NotificationTemplateSource.Render(await templates.GetAsync(NotificationTemplateCatalog.Digest, language, cancellationToken), values, html);
        var (framedText, framedHtml, frame) = Framed(settings, text, rich);
        return new EmailMessage(
            messageId,
            Sender(settings),
            [to],
            [],
            subject,
            framedText,
            framedHtml,
            Headers: new Dictionary<string, string>(StringComparer.Ordinal) { ["Auto-Submitted"] = "auto-generated" },
            Frame: frame);
    }

    /// <summary>The values every template of a ticket event can use; those an event does not carry stay empty.</summary>
    private static Dictionary<string, string?> Values(NotificationContext context, EmailAddress to)
    {
        var (message, ticket, settings) = (context.Message, context.Ticket, context.Settings);
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ticket.number"] = ticket.Number,
            ["ticket.subject"] = ticket.Subject,
            ["ticket.priority"] = Names.Of(ticket.Priority),
            ["ticket.link"] = settings.TicketLinkBase is { Length: > 0 } link ? $"{link.TrimEnd('/')}/{Uri.EscapeDataString(ticket.Id)}" : null,
            ["requester.name"] = ticket.Requester?.Name ?? ticket.Requester?.Email,
            ["requester.email"] = ticket.Requester?.Email,
            ["recipient.name"] = to.Name ?? to.Address,
            ["agent.name"] = context.AgentName,
            ["event.summary"] = message.Value("summary"),
            ["event.details"] = message.Value("details"),
            ["event.note"] = message.Value("note"),
            ["event.reason"] = message.Value("reason"),
            ["event.comment"] = message.Value("comment"),
            ["event.decision"] = message.Value("decision") ?? "decided",
            ["event.target"] = message.Value("target") ?? "SLA",
            ["event.dueAt"] = message.Value("dueAt"),
            ["event.at"] = message.Value("at") ?? message.OccurredAt.ToString("O", CultureInfo.InvariantCulture),
            ["event.title"] = message.Value("title"),
            ["event.reminder"] = message.Value("reminder") == "true" ? "true" : null,
            ["event.status"] = NotificationTemplateCatalog.StatusLabel(message.Value("statusTo"), context.Language),
            ["survey.link"] = message.Value("link"),
        };
    }

    private static EmailMessage Compose(NotificationContext context, EmailAddress to, IReadOnlyList<EmailAddress> cc, string messageId, (string Subject, string Html, string Text) body, bool automatic)
    {
        var (text, html, frame) = Framed(context.Settings, body.Text, body.Html);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["X-Helpdesk-Ticket"] = context.Ticket.Number,
            ["X-Helpdesk-Event"] = context.Message.EventId,
            ["X-Helpdesk-Trigger"] = context.Trigger,
        };
        if (automatic)
        {
            headers["Auto-Submitted"] = "auto-generated";
        }

        return new EmailMessage(messageId, Sender(context.Settings), [to], cc, body.Subject, text, html, context.Ticket.Id, Headers: headers, Frame: frame);
    }

    private static EmailAddress Sender(NotificationSettings settings) => new(settings.SenderAddress, settings.SenderName);

    /// <summary>
    /// The body between the settings' header and footer, as text and as an HTML document, and that
    /// frame. The header and footer are rich text: the HTML part carries them as written, the text part their text.
    /// </summary>
    private static (string Text, string Html, EmailFrame Frame) Framed(NotificationSettings settings, string text, string html)
    {
        var frame = new EmailFrame(
            string.IsNullOrWhiteSpace(settings.Header) ? string.Empty : HtmlSanitizer.Sanitize(settings.Header).Text.Trim() + "\n\n",
            string.IsNullOrWhiteSpace(settings.Footer) ? string.Empty : "\n" + HtmlSanitizer.Sanitize(settings.Footer).Text.Trim() + "\n",
            string.IsNullOrWhiteSpace(settings.Header) ? string.Empty : $"<div class=\"header\">{settings.Header}</div>",
            string.IsNullOrWhiteSpace(settings.Footer) ? string.Empty : $"<div class=\"footer\">{settings.Footer}</div>");
        return (frame.TextHeader + text.TrimEnd() + "\n" + frame.TextFooter, "<html><body>" + frame.HtmlHeader + html + frame.HtmlFooter + "</body></html>", frame);
    }
}
