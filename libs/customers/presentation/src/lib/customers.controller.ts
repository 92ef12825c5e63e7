import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CreateCustomerDto, CustomerDto, CustomersPort } from '@strata/customers/contracts';
import { IdempotentRoute, ParseIdPipe } from '@strata/platform/http';

@ApiTags('customers')
@Controller('customers')
export class CustomersController {
  constructor(private readonly customers: CustomersPort) {}

  @Post()
  @IdempotentRoute()
  @ApiCreatedResponse({ type: CustomerDto })
  @ApiBadRequestResponse({ description: 'A field is missing, unknown or invalid.' })
  @ApiConflictResponse({ description: 'The email is taken.' })
  create(@Body() customer: CreateCustomerDto): Promise<CustomerDto> {
    return this.customers.createCustomer(customer);
  }

  @Get(':id')
  @ApiOkResponse({ type: CustomerDto })
  @ApiNotFoundResponse()
  get(@Param('id', ParseIdPipe) id: string): Promise<CustomerDto> {
    return this.customers.getCustomer(id);
  }
}
