using System.Globalization;
using System.Net;
using System.Text;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Approvals;
using Helpdesk.Domain.Common;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Approvals;

/// <summary>What the GET of a link shows: enough to decide, nothing else of the ticket.</summary>
public sealed record ApprovalLinkView(
    string ApprovalId,
    string TicketNumber,
    string Subject,
    string Reason,
    string ApproverName,
    int Step,
    int Steps,
    ApprovalStatus Status,
    bool AlreadyDecided,
    DateTimeOffset ExpiresAt);

/// <summary>
/// The links of approval emails, without login: the signed token is the credential. GET only
/// shows the request (a page with the approve or reject button, or JSON), so a mail scanner that
/// fetches every link decides nothing; the decision is the POST. A forged or altered token is
/// 404, an expired link 410, a link of an approver who is not asked (any more) 403, a link of a
/// step or an approval that is over 409 — and none of them changes anything.
/// </summary>
internal static class ApprovalLinkEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var links = api.MapGroup("/approval-links/{token}").WithTags("approvals").AllowAnonymous().RequireRateLimiting(RateLimitPolicies.AnonymousLinks);
        links.MapGet("/", ShowAsync).WithName("ShowApprovalLink")
            .Produces<ApprovalLinkView>().ProducesHtml()
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status410Gone);
        links.MapPost("/approve", (string token, HttpContext http, ApprovalLinks signer, ApprovalWork work, CancellationToken ct) =>
            DecideAsync(token, ApprovalVerdict.Approve, http, signer, work, ct)).WithName("ApproveByLink").ProducesLinkDecision();
        links.MapPost("/reject", (string token, HttpContext http, ApprovalLinks signer, ApprovalWork work, CancellationToken ct) =>
            DecideAsync(token, ApprovalVerdict.Reject, http, signer, work, ct)).WithName("RejectByLink").ProducesLinkDecision();
    }

    /// <summary>A browser (Accept: text/html) gets the link's page instead of its JSON.</summary>
    private static RouteHandlerBuilder ProducesHtml(this RouteHandlerBuilder route) => FileResponses.ProducesAlso(route, "text/html", binary: false);

    private static RouteHandlerBuilder ProducesLinkDecision(this RouteHandlerBuilder route) =>
        route.ProducesDecision().ProducesProblems(StatusCodes.Status410Gone);

    private static async Task<IResult> ShowAsync(
        string token,
        string? decision,
        HttpContext http,
        ApprovalLinks signer,
        IApprovalStore store,
        ITicketStore tickets,
        IDirectoryStore directory,
        TimeProvider clock,
        CancellationToken ct)
    {
        var link = signer.Read(token);
        var approval = link is null ? null : await store.FindAsync(link.ApprovalId, ct);
        var ticket = approval is null ? null : await tickets.FindAsync(approval.Value.TicketId, ct);
        if (link is null || approval is null || ticket is null)
        {
            return Problems.NotFound("approval link");
        }

        if (Refuse(link, approval.Value, clock.GetUtcNow()) is { } refused)
        {
            return Problems.Result(refused);
        }

        var a = approval.Value;
        var approver = (await directory.FindAsync(DirectoryKinds.Agent, link.ApproverId, ct))?.Value;
        var step = a.Steps[link.Step];
        var view = new ApprovalLinkView(
            a.Id,
            ticket.Number,
            ticket.Subject,
            a.Reason,
            approver?.Name ?? link.ApproverId,
            link.Step + 1,
            a.Steps.Count,
            a.Status,
            step.Decisions.Any(d => d.ApproverId == link.ApproverId),
            a.ExpiresAt);
        var wantsHtml = http.Request.Headers.Accept.Any(v => v is not null && v.Contains("text/html", StringComparison.OrdinalIgnoreCase));
        return wantsHtml
            ? TypedResults.Content(Page(view, $"{http.Request.PathBase}{ApprovalLinks.RoutePrefix}/{Uri.EscapeDataString(token)}", decision), "text/html; charset=utf-8")
            : TypedResults.Ok(view);
    }

    private static async Task<IResult> DecideAsync(string token, ApprovalVerdict verdict, HttpContext http, ApprovalLinks signer, ApprovalWork work, CancellationToken ct)
    {
        var link = signer.Read(token);
        if (link is null)
        {
            return Problems.NotFound("approval link");
        }

        string? comment = null;
        if (http.Request.HasFormContentType)
        {
            var (form, unreadable) = await Forms.ReadAsync(http.Request, "comment", ct);
            if (form is null)
            {
                return Problems.Result(unreadable!);
            }

            comment = form["comment"].ToString();
            if (comment.Length > Approval.MaxCommentLength)
            {
                return Problems.Result(Problems.Validation("comment", $"The comment is at most {Approval.MaxCommentLength} characters."));
            }
        }

        return ApprovalEndpoints.Answer(
            await work.RunAsync(
                link.ApprovalId,
                Actor.Agent(link.ApproverId),
                ETags.IfMatchOf(http.Request),
                (approval, now) => Refuse(link, approval, now),
                (approval, ticket, now) =>
                {
                    var decided = approval.Decide(link.ApproverId, verdict, comment, link.Step, DecisionChannel.Link, now);
                    ticket.RecordApprovalDecision(approval, decided, Actor.Agent(link.ApproverId), now);
                    return decided;
                },
                ct),
            http.Response);
    }

    /// <summary>An expired link is gone; a link whose approver is not asked on its step is not theirs to use.</summary>
    private static ProblemDetails? Refuse(ApprovalLink link, Approval approval, DateTimeOffset now)
    {
        if (now >= link.ExpiresAt)
        {
            return Problems.Create(StatusCodes.Status410Gone, ProblemTypes.Rule("link-expired"), "This approval link has expired.", null);
        }

        return link.Step >= approval.Steps.Count || !approval.Steps[link.Step].ApproverIds.Contains(link.ApproverId, StringComparer.Ordinal)
            ? ApprovalWork.NotAnApprover()
            : null;
    }

    private static string Page(ApprovalLinkView view, string action, string? decision)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        var html = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Approval</title></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>Approval requested on {E(view.TicketNumber)}</h1>");
        html.Append(CultureInfo.InvariantCulture, $"<p><strong>{E(view.Subject)}</strong></p><p>{E(view.Reason)}</p>");
        html.Append(CultureInfo.InvariantCulture, $"<p>Step {view.Step} of {view.Steps}, asked of {E(view.ApproverName)}.</p>");
        if (view.Status != ApprovalStatus.Pending || view.AlreadyDecided)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>This request is {E(Names.Of(view.Status))}{(view.AlreadyDecided ? " and you have already answered" : string.Empty)}.</p>");
        }
        else
        {
            foreach (var choice in decision == "reject" ? new[] { "reject" } : decision == "approve" ? ["approve"] : ["approve", "reject"])
            {
                html.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{E(action)}/{choice}\"><textarea name=\"comment\" maxlength=\"{Approval.MaxCommentLength}\" placeholder=\"Comment (optional)\"></textarea><button type=\"submit\">{(choice == "approve" ? "Approve" : "Reject")}</button></form>");
            }
        }

        return html.Append("</body></html>").ToString();
    }
}
