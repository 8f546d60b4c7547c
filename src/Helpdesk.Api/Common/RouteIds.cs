using System.Text.RegularExpressions;

namespace Helpdesk.Api.Common;

/// <summary>
/// Refuses a path id that no resource can have before any store sees it: ids are what
/// <c>Ids.New</c> makes (a prefix, '_' and 32 hex digits) or short names such as
/// <c>default</c>, so a route value named <c>id</c> or <c>…Id</c> is 1 to <see cref="MaxLength"/>
/// letters, digits, '-', '_' or '.'. Anything else (control characters, '/', '?', '#', spaces,
/// kilobytes of text) is a 400 naming the parameter: Cosmos DB refuses such ids with errors of
/// its own, and no store should be asked.
/// </summary>
internal sealed partial class RouteIdMiddleware(RequestDelegate next)
{
    public const int MaxLength = 128;

    public async Task InvokeAsync(HttpContext context)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (IsId(name) && value is string id && !Shape().IsMatch(id))
            {
                errors[name] = [$"An id is 1 to {MaxLength} letters, digits, '-', '_' or '.'."];
            }
        }

        if (errors.Count > 0 && context.GetEndpoint() is not null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await Problems.Result(Problems.Validation(errors)).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static bool IsId(string name) => name == "id" || (name.Length > 2 && name.EndsWith("Id", StringComparison.Ordinal));

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex Shape();
}
