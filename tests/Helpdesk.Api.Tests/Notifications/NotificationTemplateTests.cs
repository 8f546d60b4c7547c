using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Notifications;

/// <summary>The words of notifications: per event and language, overridable by admins, framed by the settings.</summary>
public sealed class NotificationTemplateTests
{
    private const string Templates = "/api/notifications/templates";

    [Fact]
    public async Task A_french_requester_reads_french_and_an_english_one_english()
    {
        using var app = new NotificationsApp();
        var claire = await CreateContactAsync(app, "claire@contoso.fr", "Claire", "fr");
        var agent = app.ClientFor("agent");

        var french = await agent.OpenTicketAsync(new { subject = "Imprimante <en panne>", contactId = claire });
        await agent.OpenTicketAsync(new { subject = "Printer jams", requester = new { email = "bob@contoso.com", name = "Bob" } });
        await app.PumpAsync();

        var toClaire = MessagesTo(app, "claire@contoso.fr").ShouldHaveSingleItem();
        toClaire.Subject.ShouldBe($"[{french["number"]!.GetValue<string>()}] Nous avons bien reçu votre demande: Imprimante <en panne>");
        toClaire.HtmlBody.ShouldContain("Votre demande « Imprimante &lt;en panne&gt; » est enregistrée");
        toClaire.TextBody.ShouldContain("Votre demande « Imprimante <en panne> » est enregistrée");
        MessagesTo(app, "bob@contoso.com").ShouldHaveSingleItem().Subject.ShouldContain("We received your request");
    }

    [Fact]
    public async Task The_settings_language_applies_when_the_requester_has_none()
    {
        using var app = new NotificationsApp();
        await NotificationRuleTests.UpdateSettingsAsync(app, s => s["language"] = "fr");

        await app.ClientFor("agent").OpenTicketAsync();
        await app.PumpAsync();

        MessagesTo(app, "alice@contoso.com").ShouldHaveSingleItem().Subject.ShouldContain("Nous avons bien reçu votre demande");
    }

    [Fact]
    public async Task An_admin_template_is_used_with_encoded_values_between_the_settings_header_and_footer_and_can_be_reset()
    {
        using var app = new NotificationsApp();
        await NotificationRuleTests.UpdateSettingsAsync(app, s =>
        {
            s["senderName"] = "Contoso Support";
            s["header"] = "<b>Contoso</b> support";
            s["footer"] = "<i>Please keep the ticket number</i>";
            s["ticketLinkBase"] = "https://help.contoso.com/tickets";
        });
        var put = await PutTemplateAsync(app, "customer.ticket.created", "en", "\"0\"", new
        {
            subject = "Ticket {{ticket.number}} for {{requester.name}}",
            html = "<p>Hello {{requester.name}}, about {{ticket.subject}}.</p>{{#ticket.link}}<p><a href=\"{{ticket.link}}\">Follow it</a></p>{{/ticket.link}}",
            text = "Hello {{requester.name}}, about {{ticket.subject}}. {{ticket.link}}",
        });
        put.StatusCode.ShouldBe(HttpStatusCode.OK);
        put.Headers.ETag!.Tag.ShouldBe("\"1\"");

        var ticket = await app.ClientFor("agent").OpenTicketAsync(new { subject = "<script>alert(1)</script>", requester = new { email = "tom@contoso.com", name = "Tom & Jerry" } });
        await app.PumpAsync();

        var id = ticket["id"]!.GetValue<string>();
        var mail = MessagesTo(app, "tom@contoso.com").ShouldHaveSingleItem();
        mail.From.Name.ShouldBe("Contoso Support");
        mail.Subject.ShouldBe($"Ticket {ticket["number"]!.GetValue<string>()} for Tom & Jerry");
        mail.HtmlBody.ShouldBe($"<html><body><div class=\"header\"><b>Contoso</b> support</div><p>Hello Tom &amp; Jerry, about &lt;script&gt;alert(1)&lt;/script&gt;.</p><p><a href=\"https://help.contoso.com/tickets/{id}\">Follow it</a></p><div class=\"footer\"><i>Please keep the ticket number</i></div></body></html>");
        mail.TextBody.ShouldContain("Contoso support");
        mail.TextBody.ShouldContain($"Hello Tom & Jerry, about <script>alert(1)</script>. https://help.contoso.com/tickets/{id}");
        mail.TextBody.ShouldContain("Please keep the ticket number");
        mail.TextBody.ShouldNotContain("<b>");

        var read = await app.Admin.GetAsync($"{Templates}/customer.ticket.created/en");
        (await read.Json())["custom"]!.GetValue<bool>().ShouldBeTrue();
        var reset = new HttpRequestMessage(HttpMethod.Delete, $"{Templates}/customer.ticket.created/en");
        reset.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());
        var restored = await app.Admin.SendAsync(reset);
        restored.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await restored.Json())["custom"]!.GetValue<bool>().ShouldBeFalse();

        await app.ClientFor("agent").OpenTicketAsync(new { subject = "Again", requester = new { email = "tom@contoso.com", name = "Tom" } });
        await app.PumpAsync();
        MessagesTo(app, "tom@contoso.com").Select(m => m.Subject).ShouldContain(s => s.Contains("We received your request", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_french_template_override_changes_only_french_mail()
    {
        using var app = new NotificationsApp();
        var claire = await CreateContactAsync(app, "claire@contoso.fr", "Claire", "fr");
        (await PutTemplateAsync(app, "customer.ticket.created", "fr", "*", new { subject = "Reçu : {{ticket.subject}}", html = "<p>Merci {{requester.name}}</p>", text = "Merci {{requester.name}}" })).EnsureSuccessStatusCode();
        var agent = app.ClientFor("agent");

        await agent.OpenTicketAsync(new { subject = "Écran noir", contactId = claire });
        await agent.OpenTicketAsync();
        await app.PumpAsync();

        var french = MessagesTo(app, "claire@contoso.fr").ShouldHaveSingleItem();
        french.Subject.ShouldBe("Reçu : Écran noir");
        french.HtmlBody.ShouldContain("<p>Merci Claire</p>");
        MessagesTo(app, "alice@contoso.com").ShouldHaveSingleItem().Subject.ShouldContain("We received your request");
    }

    [Fact]
    public async Task Bad_templates_name_each_bad_field()
    {
        using var app = new NotificationsApp();

        var response = await PutTemplateAsync(app, "agent.sla.breached", "en", "*", new { subject = "", html = "<p>{{ticket.secret}}</p>", text = "{{#ticket.link}}never closed" });

        await response.ShouldBeProblem(400, "subject");
        var errors = (await response.Json())["errors"]!.AsObject();
        errors.Select(e => e.Key).ShouldContain("html");
        errors.Select(e => e.Key).ShouldContain("text");
        errors["html"]!.ToJsonString().ShouldContain("ticket.secret");
        await (await PutTemplateAsync(app, "agent.sla.breached", "en", "*", new { subject = new string('x', 501), html = "x", text = "x" })).ShouldBeProblem(400, "subject");
        await (await PutTemplateAsync(app, "agent.sla.breached", "en", "*", new { subject = "Two\nlines", html = "x", text = "x" })).ShouldBeProblem(400, "subject");
    }

    [Fact]
    public async Task Template_writes_need_the_current_version_and_a_known_event_and_language()
    {
        using var app = new NotificationsApp();
        var body = new { subject = "SLA {{event.target}}", html = "<p>{{ticket.subject}}</p>", text = "{{ticket.subject}}" };

        await (await PutTemplateAsync(app, "agent.sla.breached", "en", null, body)).ShouldBeProblem(428);
        await (await PutTemplateAsync(app, "agent.sla.breached", "en", "\"3\"", body)).ShouldBeProblem(412);
        (await PutTemplateAsync(app, "agent.sla.breached", "en", "\"0\"", body)).EnsureSuccessStatusCode();
        await (await PutTemplateAsync(app, "agent.sla.breached", "en", "\"0\"", body)).ShouldBeProblem(412);
        await (await PutTemplateAsync(app, "agent.ticket.exploded", "en", "*", body)).ShouldBeProblem(404);
        await (await PutTemplateAsync(app, "agent.sla.breached", "de", "*", body)).ShouldBeProblem(404);
        await (await app.Admin.GetAsync($"{Templates}/agent.sla.breached/de")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task The_list_has_every_event_in_english_and_french_with_the_placeholders()
    {
        using var app = new NotificationsApp();

        var list = await (await app.Admin.GetAsync(Templates)).Json();

        var items = list["items"]!.AsArray();
        var keys = items.Select(i => $"{i!["event"]!.GetValue<string>()}/{i["language"]!.GetValue<string>()}").ToArray();
        keys.ShouldContain("customer.ticket.created/fr");
        keys.ShouldContain("customer.ticket.resolved/en");
        keys.ShouldContain("agent.sla.warning/fr");
        keys.ShouldContain("agent.approval.requested/en");
        keys.ShouldContain("agent.digest/fr");
        keys.Length.ShouldBe(keys.Distinct().Count());
        items.ShouldAllBe(i => !i!["custom"]!.GetValue<bool>() && i["subject"]!.GetValue<string>().Length > 0);
        list["placeholders"]!.AsArray().Select(p => p!.GetValue<string>()).ShouldContain("ticket.number");
    }

    [Fact]
    public async Task Only_admins_read_or_change_templates()
    {
        using var app = new NotificationsApp();
        var body = new { subject = "x", html = "x", text = "x" };

        (await app.CreateClient().GetAsync(Templates)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await app.ClientFor("agent").GetAsync(Templates)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor("supervisor").GetAsync($"{Templates}/customer.ticket.created/en")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor("customer", contactId: "con_1").GetAsync(Templates)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor("agent").PutAsJsonAsync($"{Templates}/customer.ticket.created/en", body)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.ClientFor("customer", contactId: "con_1").DeleteAsync($"{Templates}/customer.ticket.created/en")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Languages_of_contacts_and_settings_are_checked()
    {
        using var app = new NotificationsApp();

        await (await app.Admin.PostAsJsonAsync("/api/contacts", new { email = "hans@contoso.de", language = "de" })).ShouldBeProblem(400, "language");
        var read = await app.Admin.GetAsync("/api/notifications/settings");
        var settings = (await read.Json()).AsObject();
        settings.Remove("id");
        settings["language"] = "klingon";
        settings["ticketLinkBase"] = "not a url";
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/notifications/settings") { Content = JsonContent.Create(settings) };
        request.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.ToString());
        var response = await app.Admin.SendAsync(request);
        await response.ShouldBeProblem(400, "language");
        (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldContain("ticketLinkBase");
    }

    private static List<EmailMessage> MessagesTo(NotificationsApp app, string address) =>
        app.Sender.Messages.Where(m => m.To.Any(t => string.Equals(t.Address, address, StringComparison.OrdinalIgnoreCase))).ToList();

    private static async Task<string> CreateContactAsync(NotificationsApp app, string email, string name, string language)
    {
        var created = await app.Admin.PostAsJsonAsync("/api/contacts", new { email, name, language });
        created.EnsureSuccessStatusCode();
        return (await created.Json())["id"]!.GetValue<string>();
    }

    private static Task<HttpResponseMessage> PutTemplateAsync(NotificationsApp app, string @event, string language, string? ifMatch, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"{Templates}/{@event}/{language}") { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return app.Admin.SendAsync(request);
    }
}
