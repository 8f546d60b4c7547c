using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Calendar;

/// <summary>Office 365 calendar push (configuration section <c>Calendar</c>); Graph is reached as <c>Mail:Graph</c> says.</summary>
public sealed class CalendarOptions
{
    public const string Section = "Calendar";

    /// <summary>On-site visits are put in their owner's Outlook calendar. Off unless Graph is set up for it.</summary>
    public bool PushOnSiteVisits { get; set; }
}

public static class CalendarSetup
{
    public const string Queue = "calendar";

    /// <summary>The activity events the calendar queue takes; each one brings the owner's calendar in line with the activity.</summary>
    public static bool Accepts(string eventType) =>
        eventType is WorkEventTypes.ActivityPlanned or WorkEventTypes.ActivityChanged or WorkEventTypes.ActivityDone or WorkEventTypes.ActivityRemoved;

    public static IServiceCollection AddCalendar(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CalendarOptions>().Bind(configuration.GetSection(CalendarOptions.Section));
        return services
            .AddSqliteMigration(SqliteCalendarLinks.Schema.Name, SqliteCalendarLinks.Schema.Sql)
            .AddSingleton(StoreSelection.Of<ICalendarLinks, SqliteCalendarLinks, CosmosCalendarLinks>())
            .AddSingleton<CalendarCleanup>()
            .AddSingleton<IOutlookCalendar>(sp => new GraphCalendar(GraphClientSetup.Client(sp)))
            .AddQueueConsumer<PushVisitToCalendar>(Queue, PushVisitToCalendar.FunctionName, "calendar.push", Accepts);
    }
}
