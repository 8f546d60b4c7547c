using FluentValidation;
using Microsoft.AspNetCore.Http.Features;

namespace Helpdesk.Api.Common;

/// <summary>
/// Validates the request body of type <typeparamref name="T"/> before the handler runs and answers
/// 400 with every invalid field. Attached once per route with <c>.Validate&lt;T&gt;()</c>.
/// </summary>
internal sealed class ValidationFilter<T>(IValidator<T> validator) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var argument = context.Arguments.OfType<T>().FirstOrDefault();
        if (argument is null)
        {
            // An optional body that was left out (binding already refused a missing required one).
            return NullBodyFilter<T>.IsNullLiteral(context.HttpContext) ? NullBodyFilter<T>.Refusal : await next(context);
        }

        var result = await validator.ValidateAsync(argument, context.HttpContext.RequestAborted);
        if (result.IsValid)
        {
            return await next(context);
        }

        var errors = result.Errors
            .GroupBy(e => e.PropertyName)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray());
        return Problems.Result(Problems.Validation(errors));
    }
}

/// <summary>
/// An optional body may be left out (the command takes its defaults), but a body of JSON
/// <c>null</c> is not an object: it is refused rather than read as "no body".
/// </summary>
internal sealed class NullBodyFilter<T> : IEndpointFilter
{
    public static IResult Refusal => Problems.Result(Problems.Validation("body", "Send a JSON object, or no body at all; null is not accepted."));

    /// <summary>The body argument is null although a body was sent: it was the JSON literal null.</summary>
    public static bool IsNullLiteral(HttpContext http) =>
        http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        !context.Arguments.OfType<T>().Any() && IsNullLiteral(context.HttpContext) ? Refusal : await next(context);
}

/// <summary>Marks a route whose body of type <see cref="RequestType"/> is validated before its handler runs.</summary>
public sealed record ValidatedBody(Type RequestType);

public static class ValidationExtensions
{
    /// <summary>The route's body of type <typeparamref name="T"/> may be left out, but not sent as JSON null.</summary>
    public static RouteHandlerBuilder OptionalBody<T>(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<NullBodyFilter<T>>();

    public static RouteHandlerBuilder Validate<T>(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter<ValidationFilter<T>>().WithMetadata(new ValidatedBody(typeof(T))).ProducesValidationProblem();

    /// <summary>Every validator of the app (one per request body), each a singleton: validators keep no state.</summary>
    public static IServiceCollection AddRequestValidators(this IServiceCollection services) =>
        services.AddValidatorsFromAssemblyContaining<ValidatedBody>(ServiceLifetime.Singleton, includeInternalTypes: true);

    /// <summary>Field names in errors are the JSON names: camelCase, dotted for nested objects.</summary>
    public static void UseJsonPropertyNames()
    {
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) =>
            member is null ? null : string.Concat(member.Name[..1].ToLowerInvariant(), member.Name.AsSpan(1));
        ValidatorOptions.Global.DisplayNameResolver = ValidatorOptions.Global.PropertyNameResolver;
    }
}
