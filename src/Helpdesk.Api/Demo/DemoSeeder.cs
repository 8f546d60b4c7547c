using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Demo;

/// <summary>
/// A small, realistic helpdesk for a newcomer to look at: three customer accounts, their
/// contacts, two teams, four staff, and 50 tickets spread over every status and the last weeks.
/// Seeds only an empty directory, so it never mixes into real data.
/// </summary>
public sealed class DemoSeeder(IDirectoryStore directory, ITicketStore tickets, TicketOpening opening, TimeProvider clock)
{
    public const int TicketCount = 50;

    private static readonly string[] Subjects =
    [
        "Cannot log in to the customer portal", "Invoice INV-2026-118 shows the wrong VAT rate", "Printer on floor 2 jams every morning",
        "VPN drops every 10 minutes", "Request: new laptop for a new hire", "Outlook keeps asking for my password",
        "Exceptional refund for a duplicate order", "Shared drive is read-only since yesterday", "Error 500 when exporting the monthly report",
        "Please add two users to the finance group", "Phone line down at the Lyon office", "Slow application after the last update",
    ];

    public async Task<bool> SeedAsync(CancellationToken cancellationToken)
    {
        if ((await directory.ListAsync(DirectoryKinds.Agent, null, 1, null, cancellationToken)).Items.Count > 0)
        {
            return false;
        }

        var now = clock.GetUtcNow();
        var support = new Team("team_support", "First-line support", "agt_sam", true);
        var experts = new Team("team_experts", "Experts", "agt_sam", true);
        Agent[] agents =
        [
            new("agt_ada", "ada@helpdesk.example", "Ada Lovelace", [support.Id], ["agent"], true),
            new("agt_bob", "bob@helpdesk.example", "Bob Martin", [support.Id], ["agent"], true),
            new("agt_sam", "sam@helpdesk.example", "Sam Senior", [support.Id, experts.Id], ["supervisor"], true),
            new("agt_root", "admin@helpdesk.example", "Admin", [], ["admin"], true),
        ];
        Account[] accounts =
        [
            new("acc_contoso", "Contoso", ["contoso.com"], true),
            new("acc_fabrikam", "Fabrikam", ["fabrikam.fr"], true),
            new("acc_northwind", "Northwind Traders", ["northwind.example"], true),
        ];
        Contact[] contacts =
        [
            new("con_alice", "alice@contoso.com", "Alice Durand", "acc_contoso", true),
            new("con_marc", "marc@contoso.com", "Marc Petit", "acc_contoso", true),
            new("con_lea", "lea@fabrikam.fr", "Léa Moreau", "acc_fabrikam", true),
            new("con_hugo", "hugo@fabrikam.fr", "Hugo Bernard", "acc_fabrikam", true),
            new("con_nina", "nina@northwind.example", "Nina Rossi", "acc_northwind", true),
        ];

        foreach (var team in new[] { support, experts })
        {
            await directory.CreateAsync(DirectoryKinds.Team, team, cancellationToken);
        }

        foreach (var agent in agents)
        {
            await directory.CreateAsync(DirectoryKinds.Agent, agent, cancellationToken);
        }

        foreach (var account in accounts)
        {
            await directory.CreateAsync(DirectoryKinds.Account, account, cancellationToken);
        }

        foreach (var contact in contacts)
        {
            await directory.CreateAsync(DirectoryKinds.Contact, contact, cancellationToken);
        }

        var statuses = Enum.GetValues<TicketStatus>();
        var priorities = Enum.GetValues<Priority>();
        for (var i = 0; i < TicketCount; i++)
        {
            var created = now.AddHours(-(TicketCount - i) * 9);
            var contact = contacts[i % contacts.Length];
            var agent = agents[i % 3];
            var ticket = await opening.NewAsync(
                new TicketDraft(
                    Subject: Subjects[i % Subjects.Length],
                    Description: "Reported by the customer; see the conversation for details.",
                    Requester: new Requester(contact.Id, contact.Email, contact.Name),
                    AccountId: contact.AccountId,
                    Priority: priorities[i % priorities.Length],
                    Type: i % 2 == 0 ? "incident" : "request",
                    TeamId: support.Id,
                    DueAt: i % 7 == 0 ? created.AddDays(2) : null,
                    Tags: i % 3 == 0 ? ["demo"] : []),
                Actor.Customer(contact.Id),
                cancellationToken,
                openedAt: created,
                id: $"t_demo_{i:D2}");
            MoveTo(ticket, statuses[i % statuses.Length], agent, created.AddHours(1));
            await tickets.SaveAsync(ticket, cancellationToken);
        }

        return true;
    }

    private static void MoveTo(Ticket ticket, TicketStatus target, Agent agent, DateTimeOffset at)
    {
        var by = Actor.Agent(agent.Id);
        if (target == TicketStatus.New)
        {
            return;
        }

        ticket.MarkRead(by, at);
        if (target == TicketStatus.Open)
        {
            return;
        }

        ticket.TakeOwnership(agent.Id, by, at.AddMinutes(5));
        switch (target)
        {
            case TicketStatus.InProgress:
                ticket.Start(by, at.AddMinutes(10));
                break;
            case TicketStatus.WaitingOnCustomer:
                ticket.WaitOnCustomer(by, at.AddMinutes(20));
                break;
            case TicketStatus.Resolved:
                ticket.Resolve("Fixed and confirmed with the customer.", notifyCustomer: true, by, at.AddHours(3));
                break;
            case TicketStatus.Closed:
                ticket.Resolve("Fixed and confirmed with the customer.", notifyCustomer: true, by, at.AddHours(3));
                ticket.Close(notifyCustomer: false, by, at.AddDays(2));
                break;
        }
    }
}

/// <summary>Seeds the demo at start-up when <c>Demo:SeedWhenEmpty</c> is set (the Development settings do).</summary>
internal sealed partial class DemoSeedOnStart(IServiceProvider services, IConfiguration configuration, ILogger<DemoSeedOnStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue<bool>("Demo:SeedWhenEmpty"))
        {
            return;
        }

        using var scope = services.CreateScope();
        if (await scope.ServiceProvider.GetRequiredService<DemoSeeder>().SeedAsync(cancellationToken))
        {
            LogSeeded(logger, DemoSeeder.TicketCount);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded the demo helpdesk: {Count} tickets. Get a token with: dotnet run --project src/Helpdesk.Api -- token --user ada@helpdesk.example --role agent")]
    private static partial void LogSeeded(ILogger logger, int count);
}
