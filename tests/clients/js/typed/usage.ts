// What a frontend writes with the generated types (tests/clients/test_typed_client.py compiles it with them under
// `tsc --noEmit --strict`). Each `@ts-expect-error` line is a mistake the types must catch: were a type too loose,
// the line would compile and tsc would fail on the unused directive.

import type {
  SubjectCardFragment,
  SubjectDetailQuery,
  SubjectsPageQuery,
  SubjectsPageQueryVariables,
  UploadBaseImagesZipMutation,
  UploadBaseImagesZipMutationVariables,
  UploadTaskProgressSubscription,
  UploadTaskProgressSubscriptionVariables,
} from "./operations";
import type { SubjectAgeClass, SubjectCreate, TaskStatus } from "./schema";

// The subjects page: filters, an order and a page, then the cards and the pager's total.
export const adultsByName: SubjectsPageQueryVariables = {
  ageClass: "ADULT",
  filter: { gender: ["FEMALE"], ready: true, search: "ann" },
  orderBy: { field: "NAME", direction: "DESC" },
  limit: 24,
};
// @ts-expect-error: not an age class the schema has
export const misspelled: SubjectsPageQueryVariables = { ageClass: "GROWN_UP" };
// @ts-expect-error: subjects cannot be sorted by gender
export const byGender: SubjectsPageQueryVariables = { orderBy: { field: "GENDER" } };

// The next page starts after this one's last row; null when this was the last page.
export function nextPage(page: SubjectsPageQuery, previous: SubjectsPageQueryVariables): SubjectsPageQueryVariables | null {
  const { hasNextPage, endCursor } = page.subjects.pageInfo;
  return hasNextPage && endCursor != null ? { ...previous, after: endCursor } : null;
}

export function cardTitle(card: SubjectCardFragment): string {
  return card.surname === null ? card.name : `${card.name} ${card.surname}`;
}

export function pager(page: SubjectsPageQuery, limit: number): { titles: string[]; pages: number } {
  return { titles: page.subjects.data.map(cardTitle), pages: Math.ceil(page.subjects.count / limit) };
}

export function slugOf(page: SubjectsPageQuery): string | undefined {
  // @ts-expect-error: the page does not select `slug`
  return page.subjects.data[0]?.slug;
}

// The subject page: measurements may be missing, and a base image's shot type may be gone.
export function heightLabel(detail: SubjectDetailQuery): string {
  const height = detail.subject.measurements?.heightCm;
  return height == null ? "unknown" : `${height} cm`;
}

export function uncheckedHeight(detail: SubjectDetailQuery): number | null {
  // @ts-expect-error: measurements is nullable
  return detail.subject.measurements.heightCm;
}

export function baseImagesByView(detail: SubjectDetailQuery): Map<string, string> {
  const byView = new Map<string, string>();
  for (const image of detail.subject.baseImages) {
    byView.set(image.shotType?.viewAngle ?? image.shotTypeLabel, image.imageUrl);
  }
  return byView;
}

// The upload: a File from <input type="file">, and the PENDING task it answers.
export function uploadVariables(file: File, subjectId: string): UploadBaseImagesZipMutationVariables {
  return { file, subjectId };
}

// @ts-expect-error: the ZIP is a File, not its name
export const uploadByName: UploadBaseImagesZipMutationVariables = { file: "base-images.zip" };

export function taskIdOf(answer: UploadBaseImagesZipMutation): string {
  return answer.uploadSubjectBaseImagesZip.id;
}

// The progress bar, fed by the subscription until the task ends.
export function progressVariables(taskId: string): UploadTaskProgressSubscriptionVariables {
  return { taskId };
}

export function isFinished(event: UploadTaskProgressSubscription): boolean {
  const status: TaskStatus = event.uploadTaskProgress.status;
  return status === "COMPLETED" || status === "FAILED";
}

export function isDone(event: UploadTaskProgressSubscription): boolean {
  // @ts-expect-error: no such status
  return event.uploadTaskProgress.status === "DONE";
}

export function progressLabel(event: UploadTaskProgressSubscription): string {
  const task = event.uploadTaskProgress;
  return `${task.processedItems}/${task.totalItems} (${task.progress}%)`;
}

// The schema's input types, for forms: the "new subject" form's value.
export const newSubject: SubjectCreate = {
  name: "Ada",
  ageClass: "ADULT" satisfies SubjectAgeClass,
  coverImage: { url: "https://example.com/ada.png" },
};
