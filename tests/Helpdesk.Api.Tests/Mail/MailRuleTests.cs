using System.Net;
using System.Text;
using System.Text.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// A mailbox's collector rules (GET|PUT /api/mail/mailboxes/{mailbox}/rules) and what they do to
/// inbound mail. The tests share one app, so none relies on another's rules being there or not.
/// </summary>
public sealed class MailRuleTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private const string Url = $"/api/mail/mailboxes/{MailApp.Mailbox}/rules";
    private readonly MailApp _mail = shared.Mail;

    [Fact]
    public async Task Only_admins_read_or_write_the_rules_of_a_configured_mailbox_and_a_write_needs_if_match()
    {
        var admin = _mail.App.Admin;
        var read = await admin.GetAsync(Url);
        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        read.Headers.ETag.ShouldNotBeNull();
        (await read.Json())["mailbox"]!.GetValue<string>().ShouldBe(MailApp.Mailbox);
        (await _mail.App.ClientFor(Roles.Agent).GetAsync(Url)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await admin.GetAsync("/api/mail/mailboxes/nobody@helpdesk.test/rules")).ShouldBeProblem(404);

        var rule = new { name = "Spam", when = new[] { new { field = "subject", value = "lottery" } }, then = new { quarantine = true } };
        await (await PutAsync(admin, null, rule)).ShouldBeProblem(428);
        await (await PutAsync(admin, "\"50\"", rule)).ShouldBeProblem(412);
    }

    [Fact]
    public async Task A_rule_that_names_nothing_real_or_does_nothing_is_400_naming_the_member()
    {
        var admin = _mail.App.Admin;
        var version = (await admin.GetAsync(Url)).Headers.ETag!.Tag;
        await (await PutAsync(admin, version, new { name = "A", when = new[] { new { field = "colour", value = "x" } }, then = new { priority = "high" } })).ShouldBeProblem(400, "rules[0].when[0].field");
        await (await PutAsync(admin, version, new { name = "A", when = new[] { new { field = "header", value = "x" } }, then = new { priority = "high" } })).ShouldBeProblem(400, "rules[0].when[0].header");
        await (await PutAsync(admin, version, new { name = "A", when = new[] { new { field = "sender", value = "x" } }, then = new { } })).ShouldBeProblem(400, "rules[0].then");
        await (await PutAsync(admin, version, new { name = "A", when = new[] { new { field = "sender", value = "x" } }, then = new { quarantine = true, priority = "high" } })).ShouldBeProblem(400, "rules[0].then");
        await (await PutAsync(admin, version, new { name = "A", when = new[] { new { field = "sender", value = "x" } }, then = new { priority = "soon" } })).ShouldBeProblem(400, "rules[0].then.priority");
        await (await PutAsync(admin, version, new { name = "A", when = new[] { new { field = "sender", value = "x" } }, then = new { teamId = "team_gone" } })).ShouldBeProblem(400, "rules[0].then.teamId");
        await (await PutAsync(admin, version, new { name = "A", when = new[] { new { field = "sender", value = "x" } }, then = new { type = "chore" } })).ShouldBeProblem(400, "rules[0].then.type");
        (await admin.GetAsync(Url)).Headers.ETag!.Tag.ShouldBe(version, "nothing was saved");
    }

    [Fact]
    public async Task Matching_rules_set_the_new_ticket_in_order_and_a_quarantine_rule_holds_the_mail_each_named_in_its_why()
    {
        var admin = _mail.App.Admin;
        var billing = await _mail.App.TeamAsync("Billing");
        var saved = await PutAsync(
            admin,
            (await admin.GetAsync(Url)).Headers.ETag!.Tag,
            new { name = "VIP", when = new[] { new { field = "domain", match = "equals", value = "Fabrikam.com" } }, then = new { priority = "high", tags = new[] { "vip" }, type = "request" } },
            new { name = "Invoices", when = new[] { new { field = "subject", match = "contains", value = "invoice" } }, then = new { teamId = billing, priority = "urgent" } },
            new { name = "Spam", when = new[] { new { field = "header", header = "X-Spam-Flag", match = "equals", value = "yes" } }, then = new { quarantine = true } });
        saved.StatusCode.ShouldBe(HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());

        var routed = await _mail.ReceiveAsync(new FakeMessage("bob@fabrikam.com", "Invoice 12 missing", "<p>Where is it?</p>"));
        var plain = await _mail.ReceiveAsync(new FakeMessage("carol@contoso.com", "Printer jams", "<p>Again.</p>"));
        var spam = await _mail.ReceiveAsync(new FakeMessage("eve@fabrikam.com", "You won", "<p>Claim it.</p>", Headers: new Dictionary<string, string> { ["X-Spam-Flag"] = "YES" }));

        var tickets = await _mail.TicketsAsync();
        var ticket = tickets.Single(t => t!["subject"]!.GetValue<string>() == "Invoice 12 missing")!;
        ticket["priority"]!.GetValue<string>().ShouldBe("urgent", "the later rule wins");
        ticket["type"]!.GetValue<string>().ShouldBe("request");
        ticket["teamId"]!.GetValue<string>().ShouldBe(billing);
        ticket["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe(["vip"]);
        var why = (await _mail.InboundOfAsync(routed)).Reason!;
        why.ShouldContain("Rule 'VIP'");
        why.ShouldContain("Rule 'Invoices'");

        var untouched = tickets.Single(t => t!["subject"]!.GetValue<string>() == "Printer jams")!;
        untouched["priority"]!.GetValue<string>().ShouldBe("normal");
        (await _mail.InboundOfAsync(plain)).Reason.ShouldBeNull();

        var held = await _mail.InboundOfAsync(spam);
        held.State.ShouldBe(InboundStates.Quarantined);
        held.Reason!.ShouldContain("'Spam'");
        tickets.ShouldNotContain(t => t!["subject"]!.GetValue<string>() == "You won");
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string? ifMatch, params object[] rules)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, Url) { Content = new StringContent(JsonSerializer.Serialize(new { rules }), Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }
}
