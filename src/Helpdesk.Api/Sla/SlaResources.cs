using System.Globalization;
using FluentValidation;
using Helpdesk.Api.Directory;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using NodaTime;
using NodaTime.Text;

namespace Helpdesk.Api.Sla;

public sealed record SlaPolicyRequest(
    string? Name,
    int? Order,
    SlaConditions? Conditions,
    string? CalendarId,
    Dictionary<string, SlaTargetMinutes>? Targets,
    IReadOnlyList<string>? PausingStatuses,
    double? WarningThreshold,
    IReadOnlyList<EscalationLevelRequest>? Escalations,
    bool? Active,
    bool? DueDateOverridesResolution = null,
    int? ChatFirstResponseMinutes = null);

/// <summary>
/// An escalation level as a client sends it. Its own type, not <see cref="EscalationLevel"/>, so
/// the document can say both truths: a request may leave <c>minutesAfterBreach</c> out (it binds
/// as null), an answer always carries it (null unless the level fires after the breach).
/// </summary>
public sealed record EscalationLevelRequest(string Target, string When, int? MinutesAfterBreach, IReadOnlyList<EscalationAction> Actions)
{
    public EscalationLevel ToLevel() => new(Target, When, MinutesAfterBreach, Actions);
}

public sealed record CalendarRequest(
    string? Name,
    string? TimeZone,
    Dictionary<string, IReadOnlyList<WorkingInterval>>? Week,
    IReadOnlyList<HolidayRequest>? Holidays,
    bool? Active);

/// <summary>A holiday as a client sends it: <c>to</c> and <c>name</c> may be left out; an answer always carries them, null when not set.</summary>
public sealed record HolidayRequest(string From, string? To, string? Name)
{
    public Holiday ToHoliday() => new(From, To, Name);
}

internal sealed class SlaPolicyValidator : AbstractValidator<SlaPolicyRequest>
{
    private const int MaxMinutes = 366 * 24 * 60;
    private static readonly string[] Targets = ["firstResponse", "nextResponse", "resolution", "idle", "reachStatus", "any"];
    private static readonly string[] Moments = ["warning", "breach", "afterBreach"];
    private static readonly string[] Recipients = ["assignee", "teamLead", "supervisors", "team", "agent", "address"];

    public SlaPolicyValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
        RuleFor(r => r.Order).InclusiveBetween(0, 100_000);
        RuleFor(r => r.Targets).NotEmpty().WithMessage("Give the targets of at least one priority.");
        RuleForEach(r => r.Targets).ChildRules(entry =>
        {
            entry.RuleFor(e => e.Key).Must(SlaDefaults.Priorities.Contains).WithMessage("The priority is urgent, high, normal or low.");
            entry.RuleFor(e => e.Value.FirstResponse).InclusiveBetween(1, MaxMinutes).When(e => e.Value.FirstResponse is not null);
            entry.RuleFor(e => e.Value.NextResponse).InclusiveBetween(1, MaxMinutes).When(e => e.Value.NextResponse is not null);
            entry.RuleFor(e => e.Value.Resolution).InclusiveBetween(1, MaxMinutes).When(e => e.Value.Resolution is not null);
            entry.RuleFor(e => e.Value.Idle).InclusiveBetween(1, MaxMinutes).When(e => e.Value.Idle is not null);
            entry.RuleForEach(e => e.Value.ReachStatus).ChildRules(reach =>
            {
                reach.RuleFor(r => r.Status).Must(IsStatus).WithMessage("Not a ticket status.");
                reach.RuleFor(r => r.WithinMinutes).InclusiveBetween(1, MaxMinutes);
            });
        });
        RuleFor(r => r.ChatFirstResponseMinutes).InclusiveBetween(1, MaxMinutes).When(r => r.ChatFirstResponseMinutes is not null)
            .WithMessage("The chat first-response target is a number of minutes, at least 1.");
        RuleForEach(r => r.PausingStatuses).Must(IsStatus).WithMessage("Not a ticket status.");
        RuleFor(r => r.WarningThreshold).ExclusiveBetween(0, 1).When(r => r.WarningThreshold is not null)
            .WithMessage("The warning threshold is the fraction of a target left (between 0 and 1, e.g. 0.25).");
        RuleFor(r => r.Conditions!.MinimumPriority).Must(p => p is null || SlaDefaults.Priorities.Contains(p))
            .When(r => r.Conditions is not null).OverridePropertyName("conditions.minimumPriority").WithMessage("The priority is urgent, high, normal or low.");
        RuleForEach(r => r.Escalations).ChildRules(level =>
        {
            level.RuleFor(l => l.Target).Must(Targets.Contains).WithMessage($"The target is one of: {string.Join(", ", Targets)}.");
            level.RuleFor(l => l.When).Must(Moments.Contains).WithMessage("When is warning, breach or afterBreach.");
            level.RuleFor(l => l.MinutesAfterBreach).NotNull().GreaterThan(0).When(l => l.When == "afterBreach");
            level.RuleFor(l => l.Actions).NotEmpty();
            level.RuleForEach(l => l.Actions).ChildRules(action =>
            {
                action.RuleFor(a => a.Type).Must(t => t is "notify" or "reassign" or "raisePriority").WithMessage("The action is notify, reassign or raisePriority.");
                action.RuleFor(a => a.Notify).Must(Recipients.Contains).When(a => a.Type == "notify").WithMessage("Notify the assignee, teamLead, supervisors, team, agent or address.");
                action.RuleFor(a => a.AgentId).NotEmpty().MaximumLength(100).When(a => a.Type == "notify" && a.Notify == "agent").WithMessage("Name the agent to notify.");
                action.RuleFor(a => a.TeamId).MaximumLength(100).When(a => a.Type == "notify" && a.Notify == "team");
                action.RuleFor(a => a.Address).NotEmpty().EmailAddress().MaximumLength(320).When(a => a.Type == "notify" && a.Notify == "address").WithMessage("Give the email address to notify.");
                action.RuleFor(a => a.AgentId).NotEmpty().When(a => a.Type == "reassign" && a.TeamId is null).WithMessage("Reassign to an agent, a team, or both.");
            });
        });
    }

    private static bool IsStatus(string status) => Names.TryParse<TicketStatus>(status, out _);
}

internal sealed class CalendarValidator : AbstractValidator<CalendarRequest>
{
    public CalendarValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
        RuleFor(r => r.TimeZone).NotEmpty().Must(z => z is null || DateTimeZoneProviders.Tzdb.GetZoneOrNull(z) is not null)
            .WithMessage("Not an IANA time zone (e.g. Europe/Paris).");
        RuleFor(r => r.Week).NotNull();
        RuleForEach(r => r.Week).ChildRules(day =>
        {
            day.RuleFor(d => d.Key).Must(SlaDefaults.Days.Contains).WithMessage("The day is monday … sunday.");
            day.RuleFor(d => d.Value).Must(BeOrderedAndDisjoint).WithMessage("Intervals are HH:mm to HH:mm (24:00 allowed), start before end, not overlapping.");
        });
        RuleForEach(r => r.Holidays).ChildRules(holiday =>
        {
            holiday.RuleFor(h => h.From).Must(d => ParseDate(d) is not null).WithMessage("An ISO date (yyyy-MM-dd).");
            holiday.RuleFor(h => h.To).Must((h, to) => to is null || (ParseDate(to) is { } end && ParseDate(h.From) is { } start && end >= start))
                .WithMessage("An ISO date on or after From.");
        });
    }

    internal static LocalDate? ParseDate(string? text) =>
        text is not null && LocalDatePattern.Iso.Parse(text) is { Success: true } result ? result.Value : null;

    /// <summary>Minutes since midnight; "24:00" is the end of the day.</summary>
    internal static int? ParseTime(string? text) =>
        text == "24:00" ? 24 * 60
        : text is not null && LocalTimePattern.CreateWithInvariantCulture("HH:mm").Parse(text) is { Success: true } result
            ? (result.Value.Hour * 60) + result.Value.Minute
            : null;

    private static bool BeOrderedAndDisjoint(IReadOnlyList<WorkingInterval> intervals)
    {
        var parsed = intervals.Select(i => (Start: ParseTime(i.Start), End: ParseTime(i.End))).ToArray();
        if (parsed.Any(p => p.Start is null || p.End is null || p.Start >= p.End || p.Start == 24 * 60))
        {
            return false;
        }

        var ordered = parsed.OrderBy(p => p.Start).ToArray();
        return ordered.Zip(ordered.Skip(1)).All(pair => pair.First.End <= pair.Second.Start);
    }
}

internal sealed class SlaPolicies : DirectoryResource<SlaPolicy, SlaPolicyRequest>
{
    public override DirectoryKind<SlaPolicy> Kind => SlaKinds.Policy;

    protected override string IdPrefix => "sla";

    protected override async Task<IDictionary<string, string[]>?> CheckReferencesAsync(SlaPolicyRequest request, IDirectoryStore store, CancellationToken cancellationToken)
    {
        var checks = new List<(string, Task<bool>)>();
        if (request.CalendarId is not null)
        {
            checks.Add(("calendarId", DirectoryChecks.Exists(store, SlaKinds.Calendar, request.CalendarId, cancellationToken)));
        }

        var actions = (request.Escalations ?? []).SelectMany((level, l) => level.Actions.Select((action, a) => (action, path: string.Create(CultureInfo.InvariantCulture, $"escalations[{l}].actions[{a}]"))));
        foreach (var (action, path) in actions)
        {
            if (action.AgentId is not null)
            {
                checks.Add(($"{path}.agentId", DirectoryChecks.Exists(store, DirectoryKinds.Agent, action.AgentId, cancellationToken)));
            }

            if (action.TeamId is not null)
            {
                checks.Add(($"{path}.teamId", DirectoryChecks.Exists(store, DirectoryKinds.Team, action.TeamId, cancellationToken)));
            }
        }

        return await DirectoryChecks.MissingAsync([.. checks]);
    }

    protected override SlaPolicy Build(string id, SlaPolicyRequest request) => new(
        id,
        request.Name!.Trim(),
        request.Order ?? 100,
        request.Conditions ?? new SlaConditions(),
        request.CalendarId,
        request.Targets!,
        request.PausingStatuses ?? SlaDefaults.DefaultPolicy.PausingStatuses,
        request.WarningThreshold ?? SlaDefaults.DefaultPolicy.WarningThreshold,
        [.. (request.Escalations ?? []).Select(level => level.ToLevel())],
        request.Active ?? true,
        request.DueDateOverridesResolution ?? false,
        request.ChatFirstResponseMinutes);

    protected override SlaPolicy Deactivate(SlaPolicy entry) => entry with { Active = false };
}

internal sealed class Calendars : DirectoryResource<BusinessCalendarDocument, CalendarRequest>
{
    public override DirectoryKind<BusinessCalendarDocument> Kind => SlaKinds.Calendar;

    protected override string IdPrefix => "cal";

    protected override Task<IDictionary<string, string[]>?> CheckReferencesAsync(CalendarRequest request, IDirectoryStore store, CancellationToken cancellationToken) =>
        Task.FromResult<IDictionary<string, string[]>?>(null);

    protected override BusinessCalendarDocument Build(string id, CalendarRequest request) =>
        new(id, request.Name!.Trim(), request.TimeZone!, request.Week!.ToDictionary(d => d.Key, d => d.Value), [.. (request.Holidays ?? []).Select(holiday => holiday.ToHoliday())], request.Active ?? true);

    protected override BusinessCalendarDocument Deactivate(BusinessCalendarDocument entry) => entry with { Active = false };
}
