using FluentValidation;

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
            // An optional body that was left out: model binding already refused a missing required one.
            return await next(context);
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

/// <summary>Marks a route whose body of type <see cref="RequestType"/> is validated before its handler runs.</summary>
public sealed record ValidatedBody(Type RequestType);

public static class ValidationExtensions
{
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
