/** Regions offered to buckets and clusters: a fixed catalog, like the providers' own region lists. */
export const REGIONS = [
  { name: 'eu-west-1', description: 'Europe (Ireland)' },
  { name: 'eu-central-1', description: 'Europe (Frankfurt)' },
  { name: 'us-east-1', description: 'US East (N. Virginia)' },
  { name: 'us-west-2', description: 'US West (Oregon)' },
  { name: 'ap-southeast-1', description: 'Asia Pacific (Singapore)' },
] as const;

export const REGION_NAMES: readonly string[] = REGIONS.map((r) => r.name);
