using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Directory;

/// <summary>Leads: tickets for someone not yet a customer, who later becomes a contact of an account with their tickets.</summary>
public sealed class LeadTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task A_lead_s_tickets_follow_it_when_it_becomes_a_contact_of_a_new_account()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, ada) = await app.AgentAsync($"ada.{tag}@lead.test");
        var email = $"paula.{tag}@prospect.test";
        var created = await ada.PostAsJsonAsync("/api/leads", new { email, name = "Paula", companyName = $"Prospect {tag}" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var leadId = (await created.Json())["id"]!.GetValue<string>();
        var first = await ada.OpenTicketAsync(new { subject = "Quote for 20 seats", leadId });
        var second = await ada.OpenTicketAsync(new { subject = "Demo", leadId });
        first["requester"]!["leadId"]!.GetValue<string>().ShouldBe(leadId);
        first["requester"]!["contactId"].ShouldBeNull();
        first["requester"]!["email"]!.GetValue<string>().ShouldBe(email);
        first["accountId"].ShouldBeNull();
        (await ada.PostAsync($"/api/tickets/{second["id"]}/close", null)).EnsureSuccessStatusCode();

        var converted = await ada.PostAsJsonAsync($"/api/leads/{leadId}/convert", new { });

        converted.StatusCode.ShouldBe(HttpStatusCode.OK);
        var result = await converted.Json();
        var contactId = result["contactId"]!.GetValue<string>();
        var accountId = result["accountId"]!.GetValue<string>();
        result["tickets"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldBe([first["id"]!.GetValue<string>(), second["id"]!.GetValue<string>()], ignoreOrder: true);
        (await (await ada.GetAsync($"/api/accounts/{accountId}")).Json())["name"]!.GetValue<string>().ShouldBe($"Prospect {tag}");
        var contact = await (await ada.GetAsync($"/api/contacts/{contactId}")).Json();
        contact["email"]!.GetValue<string>().ShouldBe(email);
        contact["accountId"]!.GetValue<string>().ShouldBe(accountId);
        foreach (var ticket in new[] { first, second })
        {
            var now = await (await ada.GetAsync($"/api/tickets/{ticket["id"]}")).Json();
            now["requester"]!["contactId"]!.GetValue<string>().ShouldBe(contactId);
            now["requester"]!["leadId"].ShouldBeNull();
            now["accountId"]!.GetValue<string>().ShouldBe(accountId);
            var entry = (await (await ada.GetAsync($"/api/tickets/{ticket["id"]}/history")).Json())["items"]!.AsArray().Last()!;
            entry["action"]!.GetValue<string>().ShouldBe("leadConverted");
            (await app.StoredEventsAsync(ticket["id"]!.GetValue<string>())).Select(e => e["type"]!.GetValue<string>()).ShouldContain("ticket.leadConverted");
        }

        var lead = await (await ada.GetAsync($"/api/leads/{leadId}")).Json();
        lead["convertedToContactId"]!.GetValue<string>().ShouldBe(contactId);
        lead["active"]!.GetValue<bool>().ShouldBeFalse();
        var again = await (await ada.PostAsJsonAsync($"/api/leads/{leadId}/convert", new { accountName = "Ignored" })).Json();
        again["contactId"]!.GetValue<string>().ShouldBe(contactId);
        again["tickets"]!.AsArray().ShouldBeEmpty();
        await (await ada.PostAsJsonAsync("/api/tickets", new { subject = "Late", leadId })).ShouldBeProblem(400, "leadId");
    }

    [Fact]
    public async Task A_lead_converts_into_the_contact_that_already_has_its_email_within_an_existing_account()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, ada) = await app.AgentAsync($"ada.{tag}@lead.test");
        var email = $"omar.{tag}@prospect.test";
        var leadId = (await (await ada.PostAsJsonAsync("/api/leads", new { email })).Json())["id"]!.GetValue<string>();
        var ticket = await ada.OpenTicketAsync(new { subject = "Pricing", leadId });
        var mailed = await ada.OpenTicketAsync(new { subject = "Wrote in", requester = new { email } });
        var contactId = mailed["requester"]!["contactId"]!.GetValue<string>();
        await (await ada.PostAsJsonAsync("/api/leads", new { email })).ShouldBeProblem(400, "email");
        var accountId = await app.AccountAsync($"Omar Ltd {tag}");

        var result = await (await ada.PostAsJsonAsync($"/api/leads/{leadId}/convert", new { accountId })).Json();

        result["contactId"]!.GetValue<string>().ShouldBe(contactId);
        result["accountId"]!.GetValue<string>().ShouldBe(accountId);
        result["tickets"]!.AsArray().ShouldHaveSingleItem()!.GetValue<string>().ShouldBe(ticket["id"]!.GetValue<string>());
        (await (await ada.GetAsync($"/api/contacts/{contactId}")).Json())["accountId"]!.GetValue<string>().ShouldBe(accountId);
        (await (await ada.GetAsync($"/api/tickets?contactId={contactId}&view=all")).Json())["items"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task Leads_are_staff_business_and_are_checked()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, ada) = await app.AgentAsync($"ada.{tag}@lead.test");
        var customer = app.ClientFor(Roles.Customer, $"cust.{tag}@contoso.com", "con_any");
        var leadId = (await (await ada.PostAsJsonAsync("/api/leads", new { email = $"nina.{tag}@prospect.test" })).Json())["id"]!.GetValue<string>();

        await (await customer.PostAsJsonAsync("/api/leads", new { email = $"x.{tag}@prospect.test" })).ShouldBeProblem(403);
        await (await customer.GetAsync($"/api/leads/{leadId}")).ShouldBeProblem(403);
        await (await customer.PostAsJsonAsync($"/api/leads/{leadId}/convert", new { })).ShouldBeProblem(403);
        await (await ada.PostAsJsonAsync("/api/leads", new { email = "not-an-email" })).ShouldBeProblem(400, "email");
        await (await ada.PostAsJsonAsync("/api/leads/led_missing/convert", new { })).ShouldBeProblem(404);
        await (await ada.PostAsJsonAsync($"/api/leads/{leadId}/convert", new { })).ShouldBeProblem(400, "accountName");
        await (await ada.PostAsJsonAsync($"/api/leads/{leadId}/convert", new { accountId = "acc_missing" })).ShouldBeProblem(400, "accountId");
        var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/leads/{leadId}/convert") { Content = JsonContent.Create(new { accountName = "Nina Co" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"9\"");
        await (await ada.SendAsync(stale)).ShouldBeProblem(412);
        await (await ada.PostAsJsonAsync("/api/tickets", new { subject = "Both", leadId, requester = new { email = $"y.{tag}@prospect.test" } })).ShouldBeProblem(400, "leadId");
        await (await ada.PostAsJsonAsync("/api/tickets", new { subject = "Nobody", leadId = "led_missing" })).ShouldBeProblem(400, "leadId");
        (await (await ada.GetAsync($"/api/leads/{leadId}")).Json())["convertedToContactId"].ShouldBeNull("nothing refused above converted it");
    }
}
