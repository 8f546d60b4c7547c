using FluentValidation;
using FluentValidation.Internal;
using FluentValidation.Validators;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Helpdesk.Api.Hosting;

/// <summary>
/// Makes a request body's <c>required</c> list say what the API really requires. Request records
/// take every field as a nullable constructor parameter, so that a missing field reaches the
/// validator and gets a 400 naming it; the schema generator would call all of them required.
/// The validator is the one source of truth: a field is required when it has an unconditional
/// NotNull or NotEmpty rule (rules are named by JSON name, see ValidationExtensions.UseJsonPropertyNames,
/// or by member name). A required member is also not nullable: null is refused like absence.
/// </summary>
internal sealed class ValidatedRequiredFields : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (schema.Properties is not { Count: > 0 } properties || type.IsGenericTypeDefinition)
        {
            return Task.CompletedTask;
        }

        using var scope = context.ApplicationServices.CreateScope();
        if (scope.ServiceProvider.GetService(typeof(IValidator<>).MakeGenericType(type)) is not IValidator validator)
        {
            return Task.CompletedTask;
        }

        var requiredMembers = validator.CreateDescriptor().Rules
            .Where(rule => !IsForEach(rule) && !rule.HasCondition && !rule.HasAsyncCondition && rule.Components.Any(IsPresenceCheck))
            .Select(rule => rule.PropertyName)
            .ToHashSet(StringComparer.Ordinal);
        var jsonNames = context.JsonTypeInfo.Properties
            .Where(p => requiredMembers.Contains(p.Name) || (p.AttributeProvider is System.Reflection.MemberInfo member && requiredMembers.Contains(member.Name)))
            .Select(p => p.Name)
            .Where(properties.ContainsKey);
        schema.Required = new HashSet<string>(jsonNames, StringComparer.Ordinal);
        foreach (var name in schema.Required)
        {
            properties[name] = NotNullable(properties[name]);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A required member is refused when null (NotNull/NotEmpty), so its schema does not allow
    /// null: <c>["null", "string"]</c> becomes <c>"string"</c>, <c>oneOf [null, $ref]</c> the reference.
    /// </summary>
    private static IOpenApiSchema NotNullable(IOpenApiSchema property)
    {
        if (property is not OpenApiSchema schema)
        {
            return property;
        }

        if (schema.OneOf is { Count: 2 } alternatives && alternatives.Count(a => a is OpenApiSchema { Type: JsonSchemaType.Null }) == 1)
        {
            return alternatives.Single(a => a is not OpenApiSchema { Type: JsonSchemaType.Null });
        }

        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Null))
        {
            schema.Type = type & ~JsonSchemaType.Null;
        }

        // A nullable enum is still inline here, its null one of the values (a reference later).
        if (schema.Enum?.Any(e => e is null) == true)
        {
            schema.Enum = [.. schema.Enum.Where(e => e is not null)];
        }

        return schema;
    }

    /// <summary>RuleForEach checks the elements of a collection, not whether the collection is there.</summary>
    private static bool IsForEach(IValidationRule rule) =>
        rule.GetType().GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ICollectionRule<,>));

    private static bool IsPresenceCheck(IRuleComponent component) =>
        !component.HasCondition && !component.HasAsyncCondition && component.Validator is INotNullValidator or INotEmptyValidator;
}
