using Helpdesk.Api.Activities;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Calendar;
using Helpdesk.Api.Chat;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.CustomerContext;
using Helpdesk.Api.Deletion;
using Helpdesk.Api.Demo;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Events;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Hosting;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Interventions;
using Helpdesk.Api.Knowledge;
using Helpdesk.Api.Leads;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Merge;
using Helpdesk.Api.Notifications;
using Helpdesk.Api.Portal;
using Helpdesk.Api.Privacy;
using Helpdesk.Api.Realtime;
using Helpdesk.Api.Reports;
using Helpdesk.Api.Retention;
using Helpdesk.Api.Satisfaction;
using Helpdesk.Api.Sla;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Helpdesk.Api.Triggers;
using Helpdesk.Api.Webhooks;

var builder = WebApplication.CreateBuilder(args);
builder.ListenForFunctionsHost();

builder.Services.AddHelpdeskHttp(builder.Configuration, builder.Environment);
builder.Services.AddHelpdeskTelemetry(builder.Configuration);
builder.Services.AddHelpdeskAuth(builder.Configuration);
builder.Services.AddStorage(builder.Configuration);
builder.Services.AddDirectory();
builder.Services.AddTickets(builder.Configuration);
builder.Services.AddSla();
builder.Services.AddTime(builder.Configuration);
builder.Services.AddConversation(builder.Configuration);
builder.Services.AddAttachments(builder.Configuration);
builder.Services.AddDeletion();
builder.Services.AddPrivacy();
builder.Services.AddRetention(builder.Configuration);
builder.Services.AddCustomerContext();
builder.Services.AddExpenses();
builder.Services.AddPortal(builder.Configuration);
builder.Services.AddChat(builder.Configuration);
builder.Services.AddRealtime(builder.Configuration);
builder.Services.AddActivities();
builder.Services.AddCalendar(builder.Configuration);
builder.Services.AddInterventions();
builder.Services.AddKnowledge();
builder.Services.AddSatisfaction(builder.Configuration);
builder.Services.AddReports();
builder.Services.AddTriggers(builder.Configuration);
builder.Services.AddEvents(builder.Configuration);
builder.Services.AddMail(builder.Configuration);
builder.Services.AddNotifications();
builder.Services.AddWebhooks();
builder.Services.AddApprovals(builder.Configuration);
builder.Services.AddScoped<DemoSeeder>();
if (!CommandLine.IsCommand(args))
{
    builder.Services.AddHostedService<DemoSeedOnStart>();
}

var app = builder.Build();
app.UseBrowserAccess();
app.UseHelpdeskConsole();
app.UseHelpdeskHttp();

var api = app.MapGroup("/api").WithIdempotentPosts().WithRateLimits();
api.MapSystemEndpoints();
api.MapHealthProbes();
api.MapDevelopmentSignIn(app);
api.MapDirectoryEndpoints();
api.MapLeadEndpoints();
api.MapTicketEndpoints();
api.MapListEndpoints();
api.MapSlaEndpoints();
api.MapEventEndpoints();
api.MapTimeEndpoints();
api.MapExpenseEndpoints();
api.MapActivityEndpoints();
api.MapInterventionEndpoints();
api.MapKnowledgeEndpoints();
api.MapSatisfactionEndpoints();
api.MapReportEndpoints();
api.MapConversationEndpoints();
api.MapAttachmentEndpoints();
api.MapMergeEndpoints();
api.MapDeletionEndpoints();
api.MapPrivacyEndpoints();
api.MapRetentionEndpoints();
api.MapCustomerContextEndpoints();
api.MapMailEndpoints();
api.MapPortalEndpoints();
api.MapChatEndpoints();
api.MapRealtimeEndpoints();
api.MapNotificationEndpoints();
api.MapWebhookEndpoints();
api.MapApprovalEndpoints();
app.MapDescriptionAndProbe();
app.MapApiReference();
app.MapTimerTriggers();
app.MapQueueTriggers();
app.MapRealtimeHub();

if (CommandLine.IsCommand(args))
{
    return await CommandLine.RunAsync(app, args);
}

await app.RunAsync();
return 0;

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
