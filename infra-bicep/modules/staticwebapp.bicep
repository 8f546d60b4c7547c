// The web console (src/Helpdesk.Web): static files only, on Azure Static Web Apps. It calls the
// Function App directly (the app answers CORS for this origin, see main.bicep): no linked backend,
// because linking a Function App puts the Static Web App's authentication in front of it, and the
// Graph change notifications and the Power Automate connector call the Function App themselves.
// The files are uploaded after deployment (README "Deploy to Azure": scripts/package.sh --console,
// then the Static Web Apps CLI with the deployment token); staticwebapp.config.json, shipped with
// them, sends every console route to index.html and sets the security headers.
param name string

@description('Static Web Apps run in a few regions only (westeurope, westus2, centralus, eastus2, eastasia).')
param location string
param tags object

@description('Free has no SLA and a 250 MB app limit; Standard adds custom domains with certificates and an SLA.')
@allowed([ 'Free', 'Standard' ])
param sku string

resource site 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku, tier: sku }
  properties: {
    // No repository: the files come from the CLI, not from a GitHub or Azure DevOps build.
    provider: 'None'
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
    publicNetworkAccess: 'Enabled'
  }
}

output name string = site.name
output origin string = 'https://${site.properties.defaultHostname}'
