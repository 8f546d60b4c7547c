using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using static Helpdesk.Api.Tests.Time.TimeEntryTests;

namespace Helpdesk.Api.Tests.Interventions;

/// <summary>One app for the class whose outgoing emails are kept for the tests to read (each test reads its own requester's).</summary>
public sealed class InterventionApp : HelpdeskApp
{
    public ConcurrentQueue<EmailMessage> Sent { get; } = new();

    public IReadOnlyList<EmailMessage> ReportsTo(string address) =>
        [.. Sent.Where(m => m.To.Any(t => t.Address == address) && m.Headers is { } h && h.TryGetValue("X-Helpdesk-Trigger", out var t) && t == "ticket.interventionCompleted")];

    public async Task PumpAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            await using var scope = Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IEmailSender>(new RecordingSender(Sent)));
    }

    private sealed class RecordingSender(ConcurrentQueue<EmailMessage> sent) : IEmailSender
    {
        public Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
        {
            sent.Enqueue(message);
            return Task.CompletedTask;
        }
    }
}

/// <summary>On-site interventions created from a ticket: planned into the technician's calendar, completed once into time and a report for the customer.</summary>
public sealed class InterventionTests(InterventionApp app) : IClassFixture<InterventionApp>
{
    [Fact]
    public async Task An_intervention_is_planned_in_the_technicians_calendar_then_completed_into_time_and_a_report_for_the_customer()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, ada) = await app.AgentAsync($"ada.{tag}@itv.test");
        var (bobId, bob) = await app.AgentAsync($"bob.{tag}@itv.test");
        var account = await (await app.Admin.PostAsJsonAsync("/api/accounts", new { name = $"Contoso {tag}", domains = new[] { $"c{tag}.test" }, address = "1 Main Street, Springfield" })).Json();
        var alice = $"alice@c{tag}.test";
        var ticket = await ada.OpenTicketAsync(new { subject = "Printer jams", requester = new { email = alice, name = "Alice" }, accountId = account["id"]!.GetValue<string>() });
        var url = $"/api/tickets/{ticket["id"]}";
        var start = app.Clock.GetUtcNow().AddDays(2);

        var created = await ada.PostAsJsonAsync($"{url}/interventions", new { technicianId = bobId, startAt = start, plannedMinutes = 90, description = "Replace the fuser" });

        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        created.Headers.ETag!.Tag.ShouldBe("\"1\"");
        var intervention = await created.Json();
        var itvUrl = created.Headers.Location!.ToString();
        itvUrl.ShouldBe($"{url}/interventions/{intervention["id"]}");
        intervention["ticketId"]!.GetValue<string>().ShouldBe(ticket["id"]!.GetValue<string>());
        intervention["plan"]!["address"]!.GetValue<string>().ShouldBe("1 Main Street, Springfield");
        intervention["report"].ShouldBeNull();
        (await (await ada.GetAsync($"{url}/interventions")).Json())["items"]!.AsArray().ShouldHaveSingleItem()!["id"]!.GetValue<string>().ShouldBe(intervention["id"]!.GetValue<string>());
        var visit = (await (await ada.GetAsync($"{url}/activities")).Json())["items"]!.AsArray().ShouldHaveSingleItem()!;
        visit["id"]!.GetValue<string>().ShouldBe(intervention["visitId"]!.GetValue<string>());
        visit["details"]!["kind"]!.GetValue<string>().ShouldBe("event");
        visit["details"]!["onSite"]!.GetValue<bool>().ShouldBeTrue();
        visit["details"]!["ownerId"]!.GetValue<string>().ShouldBe(bobId);
        visit["details"]!["location"]!.GetValue<string>().ShouldBe("1 Main Street, Springfield");
        DateTimeOffset.Parse(visit["details"]!["endAt"]!.GetValue<string>(), CultureInfo.InvariantCulture).ShouldBe(start.AddMinutes(90));

        var window = $"from={Uri.EscapeDataString(start.AddHours(-1).ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(start.AddHours(1).ToString("O", CultureInfo.InvariantCulture))}";
        (await (await ada.GetAsync($"/api/interventions?technician={bobId}&{window}")).Json())["items"]!.AsArray().ShouldHaveSingleItem();
        (await (await bob.GetAsync($"/api/interventions?{window}")).Json())["items"]!.AsArray().ShouldHaveSingleItem();
        (await (await ada.GetAsync($"/api/interventions?{window}")).Json())["items"]!.AsArray().ShouldBeEmpty();

        await (await ada.PatchAsJsonAsync(itvUrl, new { plannedMinutes = 120 })).ShouldBeProblem(428);
        await (await Send(ada, HttpMethod.Patch, itvUrl, "\"7\"", new { plannedMinutes = 120 })).ShouldBeProblem(412);
        var moved = await Send(ada, HttpMethod.Patch, itvUrl, "\"1\"", new { startAt = start.AddHours(1), plannedMinutes = 120, address = "Dock B" });
        moved.StatusCode.ShouldBe(HttpStatusCode.OK);
        moved.Headers.ETag!.Tag.ShouldBe("\"2\"");
        var movedVisit = await (await ada.GetAsync($"{url}/activities/{intervention["visitId"]}")).Json();
        movedVisit["details"]!["location"]!.GetValue<string>().ShouldBe("Dock B");
        DateTimeOffset.Parse(movedVisit["details"]!["endAt"]!.GetValue<string>(), CultureInfo.InvariantCulture).ShouldBe(start.AddHours(3));

        var completed = await Send(bob, HttpMethod.Post, $"{itvUrl}/complete", "\"2\"", new { report = "Fuser replaced, test page printed.", actualMinutes = 75, signedBy = "Alice Martin" });

        completed.StatusCode.ShouldBe(HttpStatusCode.OK);
        completed.Headers.ETag!.Tag.ShouldBe("\"3\"");
        var report = (await completed.Json())["report"]!;
        report["signedBy"]!.GetValue<string>().ShouldBe("Alice Martin");
        report["actualMinutes"]!.GetValue<int>().ShouldBe(75);
        var time = await (await ada.GetAsync($"{url}/time-entries")).Json();
        var entry = time["items"]!.AsArray().ShouldHaveSingleItem()!;
        entry["id"]!.GetValue<string>().ShouldBe(report["timeEntryId"]!.GetValue<string>());
        entry["agentId"]!.GetValue<string>().ShouldBe(bobId);
        entry["minutes"]!.GetValue<int>().ShouldBe(75);
        entry["source"]!.GetValue<string>().ShouldBe("intervention");
        time["totals"]!["billableMinutes"]!.GetValue<long>().ShouldBe(75);
        (await (await ada.GetAsync($"{url}/activities/{intervention["visitId"]}")).Json())["done"]!.GetValue<bool>().ShouldBeTrue();

        await (await bob.PostAsJsonAsync($"{itvUrl}/complete", new { report = "Again", actualMinutes = 75, signedBy = "Alice Martin" })).ShouldBeProblem(409);
        await (await Send(bob, HttpMethod.Patch, itvUrl, "\"3\"", new { plannedMinutes = 30 })).ShouldBeProblem(409);
        (await (await ada.GetAsync($"{url}/time-entries")).Json())["totals"]!["minutes"]!.GetValue<long>().ShouldBe(75);

        var actions = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray().Select(h => h!["action"]!.GetValue<string>()).ToArray();
        actions.ShouldContain("interventionScheduled");
        actions.ShouldContain("interventionRescheduled");
        actions.TakeLast(3).ShouldBe(["interventionCompleted", "timeLogged", "activityDone"]);
        (await app.StoredEventsAsync(ticket["id"]!.GetValue<string>())).Select(e => e["type"]!.GetValue<string>()).ShouldContain("ticket.interventionCompleted");

        await app.PumpAsync();
        var mail = app.ReportsTo(alice).ShouldHaveSingleItem();
        mail.TextBody.ShouldContain("Fuser replaced, test page printed.");

        var customer = app.ClientFor(Roles.Customer, alice, ticket["requester"]!["contactId"]!.GetValue<string>());
        var seen = (await (await customer.GetAsync($"/api/portal/tickets/{ticket["id"]}/interventions")).Json()).AsArray().ShouldHaveSingleItem()!;
        seen["report"]!.GetValue<string>().ShouldBe("Fuser replaced, test page printed.");
        seen["signedBy"]!.GetValue<string>().ShouldBe("Alice Martin");
    }

    [Fact]
    public async Task Only_staff_plan_and_only_the_creator_the_technician_or_a_supervisor_change_an_intervention()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (_, ada) = await app.AgentAsync($"ada.{tag}@itv.test");
        var (bobId, _) = await app.AgentAsync($"bob.{tag}@itv.test");
        var (_, cid) = await app.AgentAsync($"cid.{tag}@itv.test");
        var (_, sam) = await app.AgentAsync($"sam.{tag}@itv.test", Roles.Supervisor);
        var alice = $"alice.{tag}@contoso.com";
        var ticket = await ada.OpenTicketAsync(new { subject = "Boiler", requester = new { email = alice } });
        var url = $"/api/tickets/{ticket["id"]}";
        var customer = app.ClientFor(Roles.Customer, alice, ticket["requester"]!["contactId"]!.GetValue<string>());
        var body = new { technicianId = bobId, startAt = app.Clock.GetUtcNow().AddDays(1), plannedMinutes = 60 };

        await (await customer.PostAsJsonAsync($"{url}/interventions", body)).ShouldBeProblem(403);
        await (await customer.GetAsync($"{url}/interventions")).ShouldBeProblem(403);
        await (await customer.GetAsync("/api/interventions")).ShouldBeProblem(403);
        await (await ada.GetAsync($"/api/portal/tickets/{ticket["id"]}/interventions")).ShouldBeProblem(403);

        var itvUrl = (await ada.PostAsJsonAsync($"{url}/interventions", body)).Headers.Location!.ToString();
        await (await Send(cid, HttpMethod.Patch, itvUrl, "\"1\"", new { plannedMinutes = 30 })).ShouldBeProblem(403);
        await (await cid.PostAsJsonAsync($"{itvUrl}/complete", new { report = "Done", actualMinutes = 30, signedBy = "Alice" })).ShouldBeProblem(403);
        (await Send(sam, HttpMethod.Patch, itvUrl, "\"1\"", new { plannedMinutes = 30 })).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await (await customer.GetAsync($"/api/portal/tickets/{ticket["id"]}/interventions")).Json()).AsArray().ShouldBeEmpty("a planned intervention has no report to show yet");
        var stranger = await ada.OpenTicketAsync(new { subject = "Other", requester = new { email = $"eve.{tag}@contoso.com" } });
        await (await customer.GetAsync($"/api/portal/tickets/{stranger["id"]}/interventions")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task Interventions_are_checked_field_by_field_and_reports_respect_the_ticket_s_customer_emails()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (adaId, ada) = await app.AgentAsync($"ada.{tag}@itv.test");
        var quiet = $"quiet.{tag}@contoso.com";
        var ticket = await ada.OpenTicketAsync(new { subject = "Quiet", requester = new { email = quiet }, notifyCustomer = false });
        var url = $"/api/tickets/{ticket["id"]}";
        var start = app.Clock.GetUtcNow().AddDays(3);

        var empty = await ada.PostAsJsonAsync($"{url}/interventions", new { });
        await empty.ShouldBeProblem(400);
        (await empty.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["technicianId", "startAt", "plannedMinutes"], ignoreOrder: true);
        await (await ada.PostAsJsonAsync($"{url}/interventions", new { technicianId = "agt_nobody", startAt = start, plannedMinutes = 60 })).ShouldBeProblem(400, "technicianId");
        await (await ada.PostAsJsonAsync($"{url}/interventions", new { technicianId = adaId, startAt = start, plannedMinutes = 0 })).ShouldBeProblem(400, "plannedMinutes");
        await (await ada.PostAsJsonAsync($"{url}/interventions", new { technicianId = adaId, startAt = "soon", plannedMinutes = 60 })).ShouldBeProblem(400, "startAt");
        await (await ada.PostAsJsonAsync($"{url}/interventions", new { technicianId = adaId, startAt = start, plannedMinutes = 60, address = new string('a', 501) })).ShouldBeProblem(400, "address");
        await (await ada.PostAsJsonAsync("/api/tickets/tkt_missing/interventions", new { technicianId = adaId, startAt = start, plannedMinutes = 60 })).ShouldBeProblem(404);
        await (await ada.GetAsync($"{url}/interventions/itv_missing")).ShouldBeProblem(404);
        await (await ada.GetAsync("/api/interventions?from=yesterday")).ShouldBeProblem(400, "from");
        await (await ada.GetAsync($"/api/interventions?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z")).ShouldBeProblem(400, "to");
        await (await ada.GetAsync("/api/interventions?limit=0")).ShouldBeProblem(400, "limit");

        var itvUrl = (await ada.PostAsJsonAsync($"{url}/interventions", new { technicianId = adaId, startAt = start, plannedMinutes = 60 })).Headers.Location!.ToString();
        (await (await ada.GetAsync(itvUrl)).Json())["plan"]!["address"].ShouldBeNull("no address given and no account address to default to");
        var incomplete = await ada.PostAsJsonAsync($"{itvUrl}/complete", new { });
        await incomplete.ShouldBeProblem(400);
        (await incomplete.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["report", "actualMinutes", "signedBy"], ignoreOrder: true);
        await (await ada.PostAsJsonAsync($"{itvUrl}/complete", new { report = "Done", actualMinutes = 1441, signedBy = "Q" })).ShouldBeProblem(400, "actualMinutes");
        await (await Send(ada, HttpMethod.Patch, itvUrl, "\"1\"", new { technicianId = "agt_nobody" })).ShouldBeProblem(400, "technicianId");

        (await ada.PostAsJsonAsync($"{itvUrl}/complete", new { report = "Valve bled.", actualMinutes = 20, signedBy = "Quinn", billable = false })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var totals = (await (await ada.GetAsync($"{url}/time-entries")).Json())["totals"]!;
        totals["minutes"]!.GetValue<long>().ShouldBe(20);
        totals["billableMinutes"]!.GetValue<long>().ShouldBe(0);

        var internalTicket = await ada.OpenTicketAsync(new { subject = "Rack move", type = "internal" });
        var internalItv = (await ada.PostAsJsonAsync($"/api/tickets/{internalTicket["id"]}/interventions", new { technicianId = adaId, startAt = start, plannedMinutes = 60 })).Headers.Location!.ToString();
        (await ada.PostAsJsonAsync($"{internalItv}/complete", new { report = "Rack moved.", actualMinutes = 60, signedBy = "Facilities" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        await app.PumpAsync();
        app.ReportsTo(quiet).ShouldBeEmpty("the ticket does not email its customer");
        app.Sent.ShouldNotContain(m => m.TextBody.Contains("Rack moved.", StringComparison.Ordinal), "an internal ticket has no customer to send a report to");
    }
}
