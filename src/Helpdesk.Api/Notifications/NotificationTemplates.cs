using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Helpdesk.Api.Directory;

namespace Helpdesk.Api.Notifications;

/// <summary>
/// The words of one notification email in one language: the subject, the HTML part and the text
/// part. The HTML part is what goes between the settings' header and footer. Placeholders are
/// <c>{{name}}</c>; <c>{{#name}}…{{/name}}</c> keeps its content only when the value is set and
/// <c>{{^name}}…{{/name}}</c> only when it is not, so optional lines need no empty paragraphs.
/// </summary>
public sealed record NotificationTemplate(string Subject, string Html, string Text);

/// <summary>
/// An admin's version of one event's template in one language. A reset keeps the document with no
/// template (the directory store never deletes), and the built-in default applies again.
/// </summary>
public sealed record NotificationTemplateOverride(string Id, string Event, string Language, NotificationTemplate? Template);

/// <summary>What the API shows of one template: whether it is the built-in default or an admin's.</summary>
public sealed record NotificationTemplateResponse(string Event, string Language, string Subject, string Html, string Text, bool Custom);

/// <summary>Every event's template in every language, and the placeholders a template may use.</summary>
public sealed record NotificationTemplateList(IReadOnlyList<NotificationTemplateResponse> Items, IReadOnlyList<string> Placeholders);

public sealed record NotificationTemplateRequest(string? Subject, string? Html, string? Text);

/// <summary>
/// The built-in templates: one per audience and trigger (<c>customer.ticket.created</c>,
/// <c>agent.sla.breached</c>, …) plus the agents' digest, in every supported language.
/// Customers get a generic update for triggers that are normally only for staff.
/// </summary>
public static partial class NotificationTemplateCatalog
{
    public const string English = Common.Languages.English;
    public const string French = Common.Languages.French;
    public const string CustomerPrefix = "customer.";
    public const string AgentPrefix = "agent.";
    public const string Digest = "agent.digest";
    public const int MaxSubjectLength = 500;
    public const int MaxBodyLength = 100_000;

    public static IReadOnlyList<string> Languages => Common.Languages.All;

    /// <summary>Every placeholder a template may use; the ones that do not apply to an event render empty.</summary>
    public static readonly IReadOnlyList<string> Placeholders =
    [
        "ticket.number", "ticket.subject", "ticket.priority", "ticket.link", "requester.name", "requester.email", "recipient.name", "agent.name",
        "message.text", "message.html", "event.summary", "event.details", "event.note", "event.reason", "event.comment", "event.decision",
        "event.target", "event.dueAt", "event.at", "event.title", "event.reminder", "event.status", "survey.link", "approval.approveLink", "approval.rejectLink",
        "digest.count", "digest.items",
    ];

    public static readonly IReadOnlyList<string> Events =
        [.. NotificationTriggers.All.Select(t => CustomerPrefix + t), .. NotificationTriggers.All.Select(t => AgentPrefix + t), Digest];

    private static readonly Dictionary<string, (Entry En, Entry Fr)> Customer = new(StringComparer.Ordinal)
    {
        [NotificationTriggers.TicketCreated] = (
            new("We received your request", "Your request \"{{ticket.subject}}\" is registered as ticket {{ticket.number}}. We will get back to you soon.", TicketLinkEn),
            new("Nous avons bien reçu votre demande", "Votre demande « {{ticket.subject}} » est enregistrée sous le numéro {{ticket.number}}. Nous revenons vers vous rapidement.", TicketLinkFr)),
        [NotificationTriggers.TicketResolved] = (
            new("Your request is resolved", "Ticket {{ticket.number}} is resolved.", "{{#event.summary}}{{event.summary}}{{/event.summary}}", TicketLinkEn),
            new("Votre demande est résolue", "Le ticket {{ticket.number}} est résolu.", "{{#event.summary}}{{event.summary}}{{/event.summary}}", TicketLinkFr)),
        [NotificationTriggers.TicketClosed] = (
            new("Your request is closed", "Ticket {{ticket.number}} is closed."),
            new("Votre demande est clôturée", "Le ticket {{ticket.number}} est clôturé.")),
        [NotificationTriggers.SurveyRequested] = (
            new("How did we do?", "Please tell us how we handled \"{{ticket.subject}}\" (ticket {{ticket.number}}): {{survey.link}}"),
            new("Votre avis nous intéresse", "Dites-nous comment nous avons traité « {{ticket.subject}} » (ticket {{ticket.number}}) : {{survey.link}}")),
        [NotificationTriggers.ResolutionRecorded] = (
            new("How your request was resolved", "Ticket {{ticket.number}} was resolved as follows:", "{{#event.details}}{{event.details}}{{/event.details}}"),
            new("Comment votre demande a été résolue", "Le ticket {{ticket.number}} a été résolu ainsi :", "{{#event.details}}{{event.details}}{{/event.details}}")),
        [NotificationTriggers.InterventionCompleted] = (
            new("Report of the on-site intervention", "The on-site intervention for ticket {{ticket.number}} (\"{{ticket.subject}}\") is complete. Its report:", "{{#event.details}}{{event.details}}{{/event.details}}"),
            new("Rapport d'intervention", "L'intervention sur site pour le ticket {{ticket.number}} (« {{ticket.subject}} ») est terminée. Son rapport :", "{{#event.details}}{{event.details}}{{/event.details}}")),
        [NotificationTriggers.StatusChanged] = (
            new("Your request is {{event.status}}", "Ticket {{ticket.number}} (\"{{ticket.subject}}\") is now {{event.status}}.", TicketLinkEn),
            new("Votre demande est {{event.status}}", "Le ticket {{ticket.number}} (« {{ticket.subject}} ») est maintenant {{event.status}}.", TicketLinkFr)),
    };

    private static readonly (Entry En, Entry Fr) CustomerUpdate = (
        new("Update on your request", "Ticket {{ticket.number}} was updated.", TicketLinkEn),
        new("Mise à jour de votre demande", "Le ticket {{ticket.number}} a été mis à jour.", TicketLinkFr));

    private static readonly Dictionary<string, (Entry En, Entry Fr)> Agent = new(StringComparer.Ordinal)
    {
        [NotificationTriggers.TicketCreated] = (
            new("New ticket", "{{requester.name}} opened \"{{ticket.subject}}\" ({{ticket.priority}} priority).", TicketLinkEn),
            new("Nouveau ticket", "{{requester.name}} a ouvert « {{ticket.subject}} » (priorité {{ticket.priority}}).", TicketLinkFr)),
        [NotificationTriggers.TicketAssigned] = (
            new("Ticket assigned to you", "\"{{ticket.subject}}\" is now assigned to you.", TicketLinkEn),
            new("Ticket qui vous est attribué", "« {{ticket.subject}} » vous est maintenant attribué.", TicketLinkFr)),
        [NotificationTriggers.CustomerMessage] = (
            new("The customer wrote", "{{requester.name}} added a message to \"{{ticket.subject}}\".", TicketLinkEn),
            new("Le client a écrit", "{{requester.name}} a ajouté un message à « {{ticket.subject}} ».", TicketLinkFr)),
        [NotificationTriggers.PublicReply] = (
            new("New public reply", "{{#agent.name}}{{agent.name}} posted a public reply{{/agent.name}}{{^agent.name}}A public reply was posted{{/agent.name}} on \"{{ticket.subject}}\"."),
            new("Nouvelle réponse publique", "{{#agent.name}}{{agent.name}} a publié une réponse{{/agent.name}}{{^agent.name}}Une réponse a été publiée{{/agent.name}} sur « {{ticket.subject}} ».")),
        [NotificationTriggers.TicketEscalated] = (
            new("Ticket escalated", "\"{{ticket.subject}}\" was escalated.", "{{#event.note}}{{event.note}}{{/event.note}}", TicketLinkEn),
            new("Ticket escaladé", "« {{ticket.subject}} » a été escaladé.", "{{#event.note}}{{event.note}}{{/event.note}}", TicketLinkFr)),
        [NotificationTriggers.SlaWarning] = (
            new("SLA target at risk", "The {{event.target}} target of \"{{ticket.subject}}\" is due {{#event.dueAt}}{{event.dueAt}}{{/event.dueAt}}{{^event.dueAt}}soon{{/event.dueAt}}."),
            new("Objectif SLA menacé", "L'objectif {{event.target}} de « {{ticket.subject}} » arrive à échéance {{#event.dueAt}}le {{event.dueAt}}{{/event.dueAt}}{{^event.dueAt}}bientôt{{/event.dueAt}}.")),
        [NotificationTriggers.SlaBreached] = (
            new("SLA target breached", "The {{event.target}} target of \"{{ticket.subject}}\" was breached at {{event.at}}."),
            new("Objectif SLA dépassé", "L'objectif {{event.target}} de « {{ticket.subject}} » a été dépassé le {{event.at}}.")),
        [NotificationTriggers.SlaEscalated] = (
            new("SLA escalation", "\"{{ticket.subject}}\" reached an escalation level of its {{event.target}} target."),
            new("Escalade SLA", "« {{ticket.subject}} » a atteint un niveau d'escalade de son objectif {{event.target}}.")),
        [NotificationTriggers.TicketResolved] = (
            new("Ticket resolved", "\"{{ticket.subject}}\" is resolved.", "{{#event.summary}}{{event.summary}}{{/event.summary}}"),
            new("Ticket résolu", "« {{ticket.subject}} » est résolu.", "{{#event.summary}}{{event.summary}}{{/event.summary}}")),
        [NotificationTriggers.TicketClosed] = (
            new("Ticket closed", "\"{{ticket.subject}}\" is closed."),
            new("Ticket clôturé", "« {{ticket.subject}} » est clôturé.")),
        [NotificationTriggers.ApprovalRequested] = (
            new("{{#event.reminder}}Reminder: {{/event.reminder}}Approval requested", "Your approval is requested on \"{{ticket.subject}}\".", "{{#event.reason}}{{event.reason}}{{/event.reason}}", "{{#approval.approveLink}}Approve: {{approval.approveLink}}{{/approval.approveLink}}", "{{#approval.rejectLink}}Reject: {{approval.rejectLink}}{{/approval.rejectLink}}"),
            new("{{#event.reminder}}Rappel : {{/event.reminder}}Approbation demandée", "Votre approbation est demandée sur « {{ticket.subject}} ».", "{{#event.reason}}{{event.reason}}{{/event.reason}}", "{{#approval.approveLink}}Approuver : {{approval.approveLink}}{{/approval.approveLink}}", "{{#approval.rejectLink}}Refuser : {{approval.rejectLink}}{{/approval.rejectLink}}")),
        [NotificationTriggers.ApprovalDecided] = (
            new("Approval {{event.decision}}", "The approval on \"{{ticket.subject}}\" was {{event.decision}}.", "{{#event.comment}}{{event.comment}}{{/event.comment}}"),
            new("Approbation : {{event.decision}}", "L'approbation sur « {{ticket.subject}} » : {{event.decision}}.", "{{#event.comment}}{{event.comment}}{{/event.comment}}")),
        [NotificationTriggers.SurveyRequested] = (
            new("Satisfaction survey sent", "The requester of \"{{ticket.subject}}\" was asked how we did."),
            new("Enquête de satisfaction envoyée", "Le demandeur de « {{ticket.subject}} » a reçu l'enquête de satisfaction.")),
        [NotificationTriggers.ResolutionRecorded] = (
            new("Resolution recorded", "The resolution of \"{{ticket.subject}}\" was recorded.", "{{#event.details}}{{event.details}}{{/event.details}}"),
            new("Résolution enregistrée", "La résolution de « {{ticket.subject}} » a été enregistrée.", "{{#event.details}}{{event.details}}{{/event.details}}")),
        [NotificationTriggers.StatusChanged] = (
            new("Ticket {{event.status}}", "\"{{ticket.subject}}\" is now {{event.status}}."),
            new("Ticket {{event.status}}", "« {{ticket.subject}} » est maintenant {{event.status}}.")),
        [NotificationTriggers.InterventionCompleted] = (
            new("Intervention completed", "The on-site intervention for \"{{ticket.subject}}\" is complete.", "{{#event.details}}{{event.details}}{{/event.details}}"),
            new("Intervention terminée", "L'intervention sur site pour « {{ticket.subject}} » est terminée.", "{{#event.details}}{{event.details}}{{/event.details}}")),
        [NotificationTriggers.ActivityReminder] = (
            new("Reminder", "{{#event.title}}Reminder: {{event.title}} (\"{{ticket.subject}}\").{{/event.title}}{{^event.title}}Reminder about \"{{ticket.subject}}\".{{/event.title}}"),
            new("Rappel", "{{#event.title}}Rappel : {{event.title}} (« {{ticket.subject}} »).{{/event.title}}{{^event.title}}Rappel concernant « {{ticket.subject}} ».{{/event.title}}")),
        [NotificationTriggers.InternalNote] = (
            new("Internal note", "{{#agent.name}}{{agent.name}} wrote an internal note{{/agent.name}}{{^agent.name}}An internal note was written{{/agent.name}} on \"{{ticket.subject}}\" (ticket {{ticket.number}}) that names you. The customer does not see it.", "{{#message.text}}{{message.text}}{{/message.text}}", "{{#ticket.link}}Open the ticket: {{ticket.link}}{{/ticket.link}}"),
            new("Note interne", "{{#agent.name}}{{agent.name}} a écrit une note interne{{/agent.name}}{{^agent.name}}Une note interne a été écrite{{/agent.name}} sur « {{ticket.subject}} » (ticket {{ticket.number}}) qui vous nomme. Le client ne la voit pas.", "{{#message.text}}{{message.text}}{{/message.text}}", "{{#ticket.link}}Ouvrir le ticket : {{ticket.link}}{{/ticket.link}}")),
    };

    private static readonly (Entry En, Entry Fr) AgentUpdate = (
        new("Ticket updated", "\"{{ticket.subject}}\" was updated."),
        new("Ticket mis à jour", "« {{ticket.subject}} » a été mis à jour."));

    private const string TicketLinkEn = "{{#ticket.link}}Follow it at {{ticket.link}}{{/ticket.link}}";
    private const string TicketLinkFr = "{{#ticket.link}}Suivez-le ici : {{ticket.link}}{{/ticket.link}}";

    public static string EventFor(bool customer, string trigger) => (customer ? CustomerPrefix : AgentPrefix) + trigger;

    /// <summary>A ticket status as a customer reads it, in the language of the email.</summary>
    public static string? StatusLabel(string? status, string language) => (status, language == French) switch
    {
        (null, _) => null,
        ("new", false) => "new",
        ("new", true) => "nouvelle",
        ("open", false) => "open",
        ("open", true) => "ouverte",
        ("assigned", false) => "assigned to an agent",
        ("assigned", true) => "attribuée à un agent",
        ("inProgress", false) => "in progress",
        ("inProgress", true) => "en cours de traitement",
        ("waitingOnCustomer", false) => "waiting for your answer",
        ("waitingOnCustomer", true) => "en attente de votre réponse",
        ("resolved", false) => "resolved",
        ("resolved", true) => "résolue",
        ("closed", false) => "closed",
        ("closed", true) => "clôturée",
        _ => status,
    };

    public static bool IsEvent(string name) => Events.Contains(name, StringComparer.Ordinal);

    public static bool IsLanguage(string language) => Common.Languages.IsSupported(language);

    /// <summary>The language to write in: a supported one as given, else English.</summary>
    public static string Supported(string? language) => Common.Languages.Supported(language);

    public static string OverrideId(string @event, string language) => $"{@event}.{language}";

    /// <summary>The built-in template of a known event and language.</summary>
    public static NotificationTemplate Default(string @event, string language)
    {
        var french = language == French;
        if (@event == Digest)
        {
            return french
                ? new("Helpdesk : {{digest.count}} notifications", "<p>{{digest.count}} notifications depuis votre dernier résumé :</p>{{digest.items}}", "{{digest.count}} notifications depuis votre dernier résumé :\n\n{{digest.items}}\n")
                : new("Helpdesk digest: {{digest.count}} notifications", "<p>{{digest.count}} notifications since your last digest:</p>{{digest.items}}", "{{digest.count}} notifications since your last digest:\n\n{{digest.items}}\n");
        }

        if (@event == CustomerPrefix + NotificationTriggers.PublicReply)
        {
            // A public reply is the agent's own words, answering the customer's mail.
            return new("Re: [{{ticket.number}}] {{ticket.subject}}", "{{message.html}}", "{{message.text}}\n");
        }

        var customer = @event.StartsWith(CustomerPrefix, StringComparison.Ordinal);
        var trigger = @event[(customer ? CustomerPrefix : AgentPrefix).Length..];
        var entries = customer ? Customer.GetValueOrDefault(trigger, CustomerUpdate) : Agent.GetValueOrDefault(trigger, AgentUpdate);
        return (french ? entries.Fr : entries.En).Template();
    }

    /// <summary>What is wrong with a template text: unknown placeholders and unbalanced sections.</summary>
    public static IReadOnlyList<string> Problems(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var problems = new List<string>();
        var open = new Stack<string>();
        foreach (Match tag in Tag().Matches(text))
        {
            var (kind, name) = (tag.Groups[1].Value, tag.Groups[2].Value);
            if (!Placeholders.Contains(name, StringComparer.Ordinal))
            {
                problems.Add($"Unknown placeholder {tag.Value}. Known: {string.Join(", ", Placeholders)}.");
                continue;
            }

            if (kind is "#" or "^")
            {
                open.Push(name);
            }
            else if (kind == "/" && (open.Count == 0 || open.Pop() != name))
            {
                problems.Add($"The section end {tag.Value} closes no open section of that name.");
            }
        }

        problems.AddRange(open.Select(name => $"The section {{{{#{name}}}}} is never closed with {{{{/{name}}}}}."));
        return problems;
    }

    /// <summary>
    /// Fills a template: sections first (kept or dropped by whether their value is set), then each
    /// placeholder through <paramref name="encode"/>. Values are inserted once and never read as
    /// template text, so a subject containing <c>{{…}}</c> stays as typed.
    /// </summary>
    public static string Render(string template, Func<string, string?> value, Func<string, string, string> encode)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(encode);
        var kept = template;
        string previous;
        do
        {
            previous = kept;
            kept = Section().Replace(kept, m => string.IsNullOrEmpty(value(m.Groups[2].Value)) == (m.Groups[1].Value == "^") ? m.Groups[3].Value : string.Empty);
        }
        while (!string.Equals(previous, kept, StringComparison.Ordinal));

        return Placeholder().Replace(kept, m => encode(m.Groups[1].Value, value(m.Groups[1].Value) ?? string.Empty));
    }

    [GeneratedRegex(@"\{\{\s*([#^/]?)\s*([^{}\s]*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Tag();

    /// <summary>An innermost section: its content holds no other section start.</summary>
    [GeneratedRegex(@"\{\{\s*([#^])\s*([a-zA-Z.]+)\s*\}\}((?:(?!\{\{\s*[#^]).)*?)\{\{\s*/\s*\2\s*\}\}", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex Section();

    [GeneratedRegex(@"\{\{\s*([a-zA-Z.]+)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    /// <summary>A headline and its lines; a line that is one whole section becomes a paragraph only when it is kept.</summary>
    private sealed record Entry(string Headline, params string[] Lines)
    {
        public NotificationTemplate Template()
        {
            var html = new StringBuilder("<h2>").Append(Headline).Append("</h2>");
            var text = new StringBuilder(Headline).Append("\n\n");
            foreach (var line in Lines)
            {
                if (WholeSection().Match(line) is { Success: true } section)
                {
                    var (open, inner, close) = (section.Groups[1].Value, section.Groups[3].Value, section.Groups[4].Value);
                    html.Append(open).Append("<p>").Append(inner).Append("</p>").Append(close);
                    text.Append(open).Append(inner).Append('\n').Append(close);
                }
                else
                {
                    html.Append("<p>").Append(line).Append("</p>");
                    text.Append(line).Append('\n');
                }
            }

            return new NotificationTemplate($"[{{{{ticket.number}}}}] {Headline}: {{{{ticket.subject}}}}", html.ToString(), text.ToString());
        }
    }

    [GeneratedRegex(@"^(\{\{#([a-zA-Z.]+)\}\})(.*)(\{\{/\2\}\})$", RegexOptions.CultureInvariant)]
    private static partial Regex WholeSection();
}

/// <summary>The template an event uses in a language: the admin's override, else the built-in default.</summary>
public sealed class NotificationTemplateSource(IDirectoryStore directory)
{
    public static readonly DirectoryKind<NotificationTemplateOverride> Kind = new("notificationTemplate", t => t.Id, t => t.Id, "id", _ => []);

    public async Task<NotificationTemplate> GetAsync(string @event, string language, CancellationToken cancellationToken) =>
        (await directory.FindAsync(Kind, NotificationTemplateCatalog.OverrideId(@event, language), cancellationToken))?.Value.Template
        ?? NotificationTemplateCatalog.Default(@event, language);

    /// <summary>Renders a template for mail: values HTML-encoded in the HTML part, except those given as HTML already.</summary>
    public static (string Subject, string Html, string Text) Render(NotificationTemplate template, IReadOnlyDictionary<string, string?> values, IReadOnlyDictionary<string, string>? html = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        string? Value(string name) => values.GetValueOrDefault(name);
        var subject = NotificationTemplateCatalog.Render(template.Subject, Value, (_, v) => v.ReplaceLineEndings(" "));
        var rich = NotificationTemplateCatalog.Render(template.Html, Value, (name, v) => html?.GetValueOrDefault(name) ?? WebUtility.HtmlEncode(v));
        var text = NotificationTemplateCatalog.Render(template.Text, Value, (_, v) => v);
        return (subject.Trim(), rich, text);
    }
}
