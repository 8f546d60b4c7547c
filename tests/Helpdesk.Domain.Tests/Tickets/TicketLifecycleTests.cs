using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using static Helpdesk.Domain.Tests.Tickets.TicketBuilder;

namespace Helpdesk.Domain.Tests.Tickets;

public sealed class TicketLifecycleTests
{
    private static readonly DateTimeOffset Later = T0.AddHours(1);

    public static TheoryData<TicketStatus, string, TicketStatus?> Transitions() => new()
    {
        // status before, command, status after (null = refused with 409)
        { TicketStatus.New, "start", TicketStatus.InProgress },
        { TicketStatus.Open, "start", TicketStatus.InProgress },
        { TicketStatus.Assigned, "start", TicketStatus.InProgress },
        { TicketStatus.WaitingOnCustomer, "start", TicketStatus.InProgress },
        { TicketStatus.InProgress, "start", null },
        { TicketStatus.Resolved, "start", null },
        { TicketStatus.New, "take", TicketStatus.Assigned },
        { TicketStatus.Open, "take", TicketStatus.Assigned },
        { TicketStatus.InProgress, "take", TicketStatus.InProgress },
        { TicketStatus.WaitingOnCustomer, "take", TicketStatus.WaitingOnCustomer },
        { TicketStatus.Resolved, "take", null },
        { TicketStatus.New, "wait", TicketStatus.WaitingOnCustomer },
        { TicketStatus.Open, "wait", TicketStatus.WaitingOnCustomer },
        { TicketStatus.Assigned, "wait", TicketStatus.WaitingOnCustomer },
        { TicketStatus.InProgress, "wait", TicketStatus.WaitingOnCustomer },
        { TicketStatus.WaitingOnCustomer, "wait", null },
        { TicketStatus.Resolved, "wait", null },
        { TicketStatus.New, "resolve", TicketStatus.Resolved },
        { TicketStatus.InProgress, "resolve", TicketStatus.Resolved },
        { TicketStatus.WaitingOnCustomer, "resolve", TicketStatus.Resolved },
        { TicketStatus.Resolved, "resolve", null },
        { TicketStatus.New, "close", TicketStatus.Closed },
        { TicketStatus.InProgress, "close", TicketStatus.Closed },
        { TicketStatus.Resolved, "close", TicketStatus.Closed },
        { TicketStatus.Resolved, "reopen", TicketStatus.Open },
        { TicketStatus.Open, "reopen", null },
        { TicketStatus.InProgress, "reopen", null },
        { TicketStatus.New, "assign", TicketStatus.Assigned },
        { TicketStatus.Open, "assign", TicketStatus.Assigned },
        { TicketStatus.InProgress, "assign", TicketStatus.InProgress },
        { TicketStatus.Resolved, "assign", null },
        { TicketStatus.New, "escalate", TicketStatus.Assigned },
        { TicketStatus.WaitingOnCustomer, "escalate", TicketStatus.WaitingOnCustomer },
        { TicketStatus.Resolved, "escalate", null },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public void Every_transition_is_allowed_or_refused_as_the_lifecycle_says(TicketStatus from, string command, TicketStatus? expected)
    {
        var ticket = In(from);
        var act = () => Apply(ticket, command);

        if (expected is null)
        {
            act.ShouldThrow<DomainRuleException>().Code.ShouldBe("invalid-transition");
            ticket.Status.ShouldBe(from);
            ticket.PendingHistory.ShouldBeEmpty();
            ticket.PendingEvents.ShouldBeEmpty();
        }
        else
        {
            act();
            ticket.Status.ShouldBe(expected.Value);
            ticket.PendingHistory.Count.ShouldBe(1);
            ticket.PendingEvents.Count.ShouldBe(1);
        }
    }

    [Theory]
    [InlineData("start")]
    [InlineData("take")]
    [InlineData("wait")]
    [InlineData("resolve")]
    [InlineData("close")]
    [InlineData("reopen")]
    [InlineData("assign")]
    [InlineData("escalate")]
    [InlineData("read")]
    public void A_closed_ticket_refuses_every_command(string command)
    {
        var ticket = In(TicketStatus.Closed);

        Should.Throw<DomainRuleException>(() => Apply(ticket, command)).Code.ShouldBe("ticket-closed");
        ticket.PendingHistory.ShouldBeEmpty();
    }

    [Fact]
    public void A_new_ticket_from_a_customer_is_unread()
    {
        var ticket = New(Customer);

        ticket.Status.ShouldBe(TicketStatus.New);
        ticket.PendingEvents.Single().Type.ShouldBe(TicketEventTypes.Created);
        ticket.PendingHistory.Single().Action.ShouldBe("created");
        ticket.StartAt.ShouldBe(T0);
    }

    [Fact]
    public void A_ticket_an_agent_creates_is_marked_read_when_the_setting_says_so()
    {
        New(Ada, TicketSettings.Default with { AutoMarkReadWhenCreatedByAgent = true }).Status.ShouldBe(TicketStatus.Open);
        New(Ada, TicketSettings.Default with { AutoMarkReadWhenCreatedByAgent = false }).Status.ShouldBe(TicketStatus.New);
    }

    [Fact]
    public void A_ticket_an_agent_creates_is_assigned_to_them_when_the_setting_says_so()
    {
        var ticket = New(Ada, TicketSettings.Default with { AutoAssignToCreator = true });

        ticket.AssigneeId.ShouldBe("agt_ada");
        ticket.Status.ShouldBe(TicketStatus.Assigned);
    }

    [Fact]
    public void Auto_assignment_never_applies_to_customers()
    {
        var ticket = New(Customer, TicketSettings.Default with { AutoAssignToCreator = true });

        ticket.AssigneeId.ShouldBeNull();
    }

    [Fact]
    public void Marking_read_twice_records_one_change()
    {
        var ticket = In(TicketStatus.New);

        ticket.MarkRead(Ada, Later);
        ticket.MarkRead(Ada, Later.AddMinutes(1));

        ticket.PendingHistory.Count.ShouldBe(1);
        ticket.Status.ShouldBe(TicketStatus.Open);
    }

    [Fact]
    public void Resolving_sets_the_end_date_and_keeps_the_summary()
    {
        var ticket = In(TicketStatus.InProgress);

        ticket.Resolve("  Replaced the toner.  ", notifyCustomer: false, Ada, Later);

        ticket.EndAt.ShouldBe(Later);
        ticket.ResolutionSummary.ShouldBe("Replaced the toner.");
        ticket.NotifyCustomer.ShouldBeFalse();
        var entry = ticket.PendingHistory.Single();
        entry.Changes.ShouldContain(new FieldChange("status", "inProgress", "resolved"));
        entry.Note.ShouldBe("Replaced the toner.");
        ticket.PendingEvents.Single().Data["summary"].ShouldBe("Replaced the toner.");
    }

    [Fact]
    public void Reopening_clears_the_end_date_and_returns_to_the_assignee()
    {
        var ticket = In(TicketStatus.Assigned);
        ticket.Resolve(null, null, Ada, Later);

        ticket.Reopen(Customer, Later.AddHours(1));

        ticket.Status.ShouldBe(TicketStatus.Assigned);
        ticket.EndAt.ShouldBeNull();
        ticket.PendingEvents[^1].Type.ShouldBe(TicketEventTypes.Reopened);
    }

    [Fact]
    public void A_customer_reply_while_waiting_makes_the_ticket_active_again()
    {
        var ticket = In(TicketStatus.WaitingOnCustomer);

        ticket.CustomerResponded(Customer, Later);

        ticket.Status.ShouldBe(TicketStatus.Open);
    }

    [Fact]
    public void A_customer_reply_on_a_resolved_ticket_reopens_it()
    {
        var ticket = In(TicketStatus.Resolved);

        ticket.CustomerResponded(Customer, Later);

        ticket.Status.ShouldBe(TicketStatus.Open);
        ticket.PendingHistory.Single().Action.ShouldBe("reopened");
        ticket.PendingHistory.Single().Actor.ShouldBe(Customer);
    }

    [Fact]
    public void Escalation_requires_a_note_and_records_it()
    {
        var ticket = In(TicketStatus.InProgress);

        Should.Throw<DomainValidationException>(() => ticket.Escalate("agt_sam", null, "  ", Ada, Later)).Field.ShouldBe("note");
        ticket.Escalate("agt_sam", "team_experts", "Needs a database expert", Ada, Later);

        ticket.AssigneeId.ShouldBe("agt_sam");
        ticket.TeamId.ShouldBe("team_experts");
        var entry = ticket.PendingHistory.Single();
        entry.Action.ShouldBe("escalated");
        entry.Note.ShouldBe("Needs a database expert");
        ticket.PendingEvents.Single().Type.ShouldBe(TicketEventTypes.Escalated);
    }

    [Fact]
    public void Taking_a_ticket_you_already_own_changes_nothing()
    {
        var ticket = In(TicketStatus.Assigned);

        ticket.TakeOwnership("agt_ada", Ada, Later);

        ticket.PendingHistory.ShouldBeEmpty();
    }

    [Fact]
    public void Assignment_needs_an_agent_or_a_team()
    {
        var ticket = In(TicketStatus.Open);

        Should.Throw<DomainValidationException>(() => ticket.Assign(null, null, Ada, Later));
    }

    private static void Apply(Ticket ticket, string command)
    {
        switch (command)
        {
            case "start": ticket.Start(Ada, Later); break;
            case "take": ticket.TakeOwnership("agt_bob", Ada, Later); break;
            case "wait": ticket.WaitOnCustomer(Ada, Later); break;
            case "resolve": ticket.Resolve(null, null, Ada, Later); break;
            case "close": ticket.Close(null, Ada, Later); break;
            case "reopen": ticket.Reopen(Ada, Later); break;
            case "assign": ticket.Assign("agt_bob", null, Ada, Later); break;
            case "escalate": ticket.Escalate("agt_sam", null, "Needs a senior", Ada, Later); break;
            case "read": ticket.MarkRead(Ada, Later); break;
            default: throw new ArgumentOutOfRangeException(nameof(command));
        }
    }
}
